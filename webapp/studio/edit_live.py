"""The live Edit path in the worker: a start and/or stroke segments in, one channel-layer message out.

Stateless on purpose: the consumer keeps each client's EditState as plain data (the two latents, 100
floats each, and the 64 x 64 photo as PNG) and sends it with every request, and the answer carries the
new state back. Any live worker thread or process can answer any request, a restarted worker loses
nothing, and there is no per-client cache to evict or keep coherent; the cost is a few KB per request
over Redis and one extra decode of z_start (the mask's reference), well under a brush step's time.
"""
import base64
from dataclasses import replace

from PIL import Image

from inference.images import encode_image

from .live import _answer, _decode
from .tools import TOOLS, edit_options

EDIT_REPLY_IMAGE = "png"


def _png(image: Image.Image) -> str:
    return base64.b64encode(encode_image(image, "PNG")).decode()


def render_edit_update(model_name: str, params: dict, start: dict | None, state: dict | None, seq: int,
                       epoch: int) -> dict:
    """The "edit.result" for one request: ``start`` ({"seed": n} or {"photo": base64 PNG/WebP}, with the
    slider's "mix_seed" and "mix") when the client began afresh, else ``state`` (what the previous answer returned); then ``params["strokes"]``
    applied in order and the picture composed (PNG), with the new state."""
    import torch

    from inference.engine import load_nets
    from inference.pipelines import edit

    def render() -> dict:
        nets = load_nets(TOOLS["edit"].check_model(model_name))
        options = edit_options(params)
        if start is not None:
            # The pipeline's own start (the seed or the photo, then the slider), as a saved job's render does.
            current = edit.start(nets, None if "seed" in start else _decode(start["photo"]),
                                 replace(options, seed=start.get("seed"), mix_seed=start.get("mix_seed"),
                                         mix=start.get("mix", 0.0)))
        else:
            photo = None if state["photo"] is None else edit.to_tensor(_decode(state["photo"]))
            current = edit.start_from_latent(nets, torch.tensor([state["z_start"]], dtype=torch.float32), photo)
            current = edit.EditState(current.z_start, current.start_decoding,
                                     torch.tensor([state["z"]], dtype=torch.float32).to(current.z.device),
                                     current.photo)
        for stroke in options.strokes:
            current = edit.apply_stroke(current, nets, stroke, options)
        picture, _ = edit.compose(current, nets, options)
        # A random face's X is its own decoding: it is rebuilt from z_start, so no photo travels.
        photo = None if start is not None and "seed" in start or state is not None and state["photo"] is None \
            else _png(edit.to_image(current.photo))
        return {"type": "edit.result", "image": encode_image(edit.to_image(picture), EDIT_REPLY_IMAGE.upper()),
                "state": {"z_start": current.z_start[0].cpu().tolist(), "z": current.z[0].cpu().tolist(),
                          "photo": photo},
                "strokes": len(options.strokes)}

    return {**_answer(seq, "edit", render), "epoch": epoch}
