"""The bundled Edit model ships installed and small, and encodes a training face to a latent that decodes
closer to that face than to the other faces."""

import torch

from inference.data.faces import face, face_seed
from inference.engine import load_nets
from inference.pipelines.edit import encode, decode, to_tensor
from inference.registry import get_spec, specs_for_task
from torch_threads import one_torch_thread  # noqa: F401

TRAINING_FACES = 12  # the first faces of the demo's training set (seed 0)


def test_the_demo_model_is_bundled_installed_small_and_the_default():
    spec = get_spec("npe-faces")
    assert spec.bundled and spec.installed and spec.default and spec.licence == "MIT"
    assert (spec.family, spec.task, spec.arch, spec.input_size) == ("npe", "edit", "ian_64", 64)
    assert spec.path.stat().st_size < 5_000_000
    assert specs_for_task("edit")[0] == spec


def test_encode_then_decode_of_a_training_face_is_closest_to_that_face():
    nets = load_nets(get_spec("npe-faces"), device="cpu")
    faces = torch.cat([to_tensor(face(face_seed(0, i), 64)[0]) for i in range(TRAINING_FACES)])
    reconstructions = torch.cat([decode(nets, encode(nets, f[None])) for f in faces])
    distance = (reconstructions[:, None] - faces[None]).abs().mean((2, 3, 4))  # [reconstruction, face]
    assert torch.equal(distance.argmin(1), torch.arange(TRAINING_FACES)), distance
    own = distance.diagonal()
    others = (distance.sum(1) - own) / (TRAINING_FACES - 1)
    assert float((own / others).mean()) < 0.7
