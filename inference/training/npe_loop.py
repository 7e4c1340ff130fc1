"""The Introspective Adversarial Network's trainer (``train npe``) for the harness: data, losses, steps, install.

Kept apart from :mod:`inference.training.npe`, the command's torch-free face,
so ``python -m inference --help`` does not import torch.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor

from ..nets.npe import IMAGE_SIZE, IntrospectiveAdversarialNetwork, LatentPrior, ian_64, init_weights
from ..pipelines.edit import square_64
from .folders import list_images
from .harness import Installation, Trainer, descend, epoch_order, safetensors_bytes, step_generator
from .npe import NPETraining

PAPER = ("Brock, Lim, Ritchie, Weston. Neural Photo Editing with Introspective Adversarial Networks. ICLR 2017.")
SAMPLE_COLUMNS = 8
# At most this many faces' codes fit the installed latent prior (and the sample grids' prior).
PRIOR_FACES = 10_000
# Prior samples per step, as a fraction of the batch: the decoder pass is most of a step's time on a CPU.
PRIOR_FRACTION = 4


def face_folder(count: int, seed: int) -> Path:
    """``<data dir>/faces/faces-<count>-seed<seed>``, written once with :func:`inference.data.faces.write_faces`."""
    from ..data.faces import write_faces
    from ..paths import data_dir

    folder = data_dir() / "faces" / f"faces-{count}-seed{seed}"
    if not (folder / "labels.csv").is_file():
        write_faces(folder, count, IMAGE_SIZE, seed, progress=True)
    return folder


class FaceImages:
    """Every picture of a folder as a 64 x 64 centre crop, held in memory as uint8 (12 KB a face)."""

    def __init__(self, folder: Path, *, progress: bool = True) -> None:
        paths = list_images(folder)
        pixels = np.empty((len(paths), IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
        started = time.monotonic()
        for i, path in enumerate(paths):
            with Image.open(path) as opened:
                pixels[i] = np.asarray(square_64(opened))
            if progress and time.monotonic() - started > 5 and i % 1000 == 0:
                print(f"reading faces: {i}/{len(paths)}", file=sys.stderr)
        self.paths = paths
        self.pixels = torch.from_numpy(pixels).permute(0, 3, 1, 2)  # (N, 3, 64, 64) uint8

    def __len__(self) -> int:
        return len(self.paths)

    def batch(self, indices: Sequence[int], generator: torch.Generator | None = None) -> Tensor:
        """(len(indices), 3, 64, 64) in [0, 1]; each flipped left-right with probability 1/2 when a generator is given."""
        faces = self.pixels[list(indices)].float().div_(255.0)
        if generator is not None:
            flip = torch.rand(len(indices), generator=generator) < 0.5
            faces[flip] = faces[flip].flip(-1)
        return faces


def kl_divergence(mu: Tensor, log_var: Tensor) -> Tensor:
    """KL(N(mu, exp(log_var)) || N(0, I)) summed over the latent, averaged over the batch: (N, Z) -> scalar."""
    return 0.5 * (mu.square() + log_var.exp() - 1.0 - log_var).sum(1).mean()


def feature_distance(fake: Sequence[Tensor], real: Sequence[Tensor]) -> Tensor:
    """Mean over the discriminator's layers of the MSE between feature maps (the introspective reconstruction loss)."""
    return sum(F.mse_loss(a, b) for a, b in zip(fake, real)) / len(fake)


class NPETrainer(Trainer):
    """Encoder + decoder (one Adam) against the discriminator (another): see :mod:`inference.training.npe`.

    Losses logged: kl, pixel (mean |x_rec - x|), feature, adversarial (the
    encoder/decoder side), d_loss, and total (what encoder and decoder
    descend). Metric: eval_l1, mean |decode(mu(x)) - x| on fixed faces in
    eval mode.
    """

    name = "npe"
    losses = ("kl", "pixel", "feature", "adversarial", "d_loss", "total")
    metrics = ("eval_l1",)
    curves = {"reconstruction (mean |x_rec - x|)": {"training": "pixel", "evaluation": "eval_l1"},
              "KL (nats)": {"KL": "kl"}, "introspective (feature MSE)": {"feature": "feature"},
              "adversarial": {"encoder/decoder": "adversarial", "discriminator": "d_loss"}}

    def __init__(self, config: NPETraining, folder: Path, *, progress: bool = True) -> None:
        self.config = config
        self.folder = folder
        self.faces = FaceImages(folder, progress=progress)
        self.eval_faces = self.faces.batch(range(min(config.eval_faces, len(self.faces))))
        self.sample_z = torch.randn(2 * SAMPLE_COLUMNS, config.z_dim, generator=torch.Generator().manual_seed(config.seed + 1))

    def settings(self) -> dict:
        c = self.config
        return {"faces": len(self.faces), "ndf": c.ndf, "ngf": c.ngf, "z_dim": c.z_dim, "batch_size": c.batch_size,
                "seed": c.seed}

    def build(self, device):
        c = self.config
        self.device = device
        self.net: IntrospectiveAdversarialNetwork = init_weights(ian_64(ndf=c.ndf, ngf=c.ngf, z_dim=c.z_dim,
                                                                         discriminator=True)).to(device)
        self.discriminator = self.net.discriminator
        generator_params = [*self.net.encoder.parameters(), *self.net.decoder.parameters()]
        self.optimiser = torch.optim.Adam(generator_params, lr=c.lr, betas=(c.beta1, 0.999))
        self.optimiser_d = torch.optim.Adam(self.discriminator.parameters(), lr=c.lr_d, betas=(c.beta1, 0.999))
        return {"ian": self.net}, {"encoder_decoder": self.optimiser, "discriminator": self.optimiser_d}

    def steps_per_epoch(self) -> int:
        return max(1, len(self.faces) // self.config.batch_size)

    def batches(self, epoch: int, start: int):
        """(faces (N, 3, 64, 64) in [0, 1], latent noise (N, Z), prior samples (N / 4, Z)), from (seed, epoch, index)."""
        c = self.config
        order = epoch_order(len(self.faces), c.batch_size, c.seed, epoch)
        for index in range(start, len(order)):
            generator = step_generator(c.seed, epoch, index)
            faces = self.faces.batch(order[index], generator)
            yield (faces, torch.randn(len(faces), c.z_dim, generator=generator),
                   torch.randn(max(1, len(faces) // PRIOR_FRACTION), c.z_dim, generator=generator))

    def train_step(self, batch, step: int, epoch: int):
        c = self.config
        faces, noise, prior = (t.to(self.device) for t in batch)
        mu, log_var = self.net.encode(faces)
        z = mu + noise * (0.5 * log_var).exp()
        reconstructed = self.net.decode(z)
        sampled = self.net.decode(prior)

        # Discriminator: real faces -> 1, reconstructions and samples -> 0.
        self.discriminator.requires_grad_(True)
        logits_real, real_features = self.discriminator(faces)
        logits_fake, _ = self.discriminator(torch.cat([reconstructed, sampled]).detach())
        d_loss = (F.binary_cross_entropy_with_logits(logits_real, torch.ones_like(logits_real))
                  + F.binary_cross_entropy_with_logits(logits_fake, torch.zeros_like(logits_fake)))
        descend(self.optimiser_d, {"total": d_loss})

        # Encoder and decoder: KL, pixels, the discriminator's features of the real faces, fool it.
        self.discriminator.requires_grad_(False)
        logits, features = self.discriminator(torch.cat([reconstructed, sampled]))
        n = len(faces)
        kl = kl_divergence(mu, log_var)
        pixel = (reconstructed - faces).abs().mean()
        feature = feature_distance([f[:n] for f in features], [f.detach() for f in real_features])
        adversarial = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits)) * 2
        total = (c.kl_weight * kl / faces[0].numel() + c.pixel_weight * pixel + c.feature_weight * feature
                 + c.adversarial_weight * adversarial)
        losses = descend(self.optimiser, {"kl": kl, "pixel": pixel, "feature": feature,
                                          "adversarial": adversarial, "total": total})
        return {**losses, "d_loss": d_loss.detach()}

    def _reconstructions(self) -> Tensor:
        self.net.eval()
        with torch.no_grad():
            return self.net(self.eval_faces.to(self.device)).cpu()

    def evaluate(self) -> dict[str, float]:
        return {"eval_l1": float((self._reconstructions() - self.eval_faces).abs().mean())}

    def fit_prior(self, limit: int = PRIOR_FACES) -> LatentPrior:
        """A :class:`LatentPrior` fitted to the encoder's means of (at most ``limit``) training faces."""
        self.net.eval()
        chunks = []
        with torch.no_grad():
            for start in range(0, min(limit, len(self.faces)), 256):
                indices = range(start, min(start + 256, limit, len(self.faces)))
                chunks.append(self.net.encode(self.faces.batch(indices).to(self.device))[0].cpu())
        means = torch.cat(chunks)
        prior = LatentPrior(self.config.z_dim)
        return prior.fit(means) if len(means) > 1 else prior

    def sample_rows(self):
        """Faces, their reconstructions, random samples from N(0, I), and the same noise through the fitted prior."""
        reconstructed = self._reconstructions()
        prior = self.fit_prior(2_000)
        eps = self.sample_z[:SAMPLE_COLUMNS]
        with torch.no_grad():
            plain = self.net.decode(eps.to(self.device)).cpu()
            fitted = self.net.decode(prior(eps).to(self.device)).cpu()
        k = min(SAMPLE_COLUMNS, len(self.eval_faces))
        return [list(self.eval_faces[:k]), list(reconstructed[:k]), list(plain), list(fitted)]

    def installation(self, name: str) -> Installation:
        """Encoder, decoder and the latent prior fitted to the training faces (float16 with --fp16-weights)."""
        c = self.config
        return Installation(
            weights=safetensors_bytes(self.net.editing_state_dict(self.fit_prior()), {"format": "atelier-npe"},
                                      half=c.fp16_weights),
            facts={
                "family": "npe", "task": "edit", "arch": "ian_64", "title": c.title or name,
                "input_size": IMAGE_SIZE, "paper": PAPER,
                "description": f"Trained on this machine from {self.folder} ({len(self.faces)} faces).",
                "options": {"ndf": c.ndf, "ngf": c.ngf, "z_dim": c.z_dim, "trained": time.strftime("%Y-%m-%d")},
            },
        )
