"""The Introspective Adversarial Network of the Neural Photo Editor, at 64 x 64.

Brock, Lim, Ritchie, Weston, "Neural Photo Editing with Introspective
Adversarial Networks" (ICLR 2017). A VAE/GAN hybrid:

- :class:`Encoder`: strided 5 x 5 convolutions, ``ndf`` -> 8 ``ndf`` channels
  (64 -> 32 -> 16 -> 8 -> 4 pixels; the paper's 128 -> 1024), then one linear
  layer to the mean and log-variance of the latent z (``z_dim``, 100);
- :class:`Decoder`: the mirror: a projection of z to 8 ``ngf`` x 4 x 4, then
  transposed 5 x 5 convolutions up to 3 x 64 x 64 RGB in [0, 1];
- :class:`Discriminator`: strided 5 x 5 convolutions like the encoder, to one
  real/fake logit; its intermediate feature maps are the "introspective"
  reconstruction loss (:meth:`Discriminator.features`).

The paper's encoder is a second head on the discriminator's trunk; here the
two are separate networks of the same shape (as the demo's issue asks), so
the editing model keeps only the encoder and decoder and is half the size.
The paper's multiscale dilated blocks and orthogonal regularisation are left
out: at these widths they cost more time than they return.

One builder per configuration (``ModelSpec.arch``): :func:`ian_64` with the
sizes in ``spec.options`` (``ndf``, ``ngf``, ``z_dim``); the paper's widths are
its defaults. :func:`build` returns the editing network
(:class:`IntrospectiveAdversarialNetwork` without discriminator).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from .init import init_weights

IMAGE_SIZE = 64
KERNEL = 5
# 64 -> 32 -> 16 -> 8 -> 4: four strided layers, widths ndf x (1, 2, 4, 8)
WIDTHS = (1, 2, 4, 8)
BASE = IMAGE_SIZE // 2 ** len(WIDTHS)


class DownBlock(nn.Module):
    """5 x 5 convolution, stride 2, then batch norm (except the first block) and a leaky ReLU.

    (N, in, H, W) -> (N, out, H/2, W/2).
    """

    def __init__(self, in_channels: int, out_channels: int, *, norm: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, KERNEL, stride=2, padding=KERNEL // 2, bias=not norm)
        self.norm = nn.BatchNorm2d(out_channels) if norm else nn.Identity()
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))


class UpBlock(nn.Module):
    """5 x 5 transposed convolution, stride 2, batch norm and ReLU: (N, in, H, W) -> (N, out, 2H, 2W)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.ConvTranspose2d(in_channels, out_channels, KERNEL, stride=2, padding=KERNEL // 2,
                                       output_padding=1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)
        self.act = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.norm(self.conv(x)))


class Trunk(nn.Module):
    """The strided convolutions the encoder and the discriminator share in shape: (N, 3, 64, 64) -> (N, 8 ndf, 4, 4)."""

    def __init__(self, ndf: int) -> None:
        super().__init__()
        channels = [3, *(ndf * w for w in WIDTHS)]
        self.blocks = nn.ModuleList(DownBlock(a, b, norm=i > 0) for i, (a, b) in enumerate(zip(channels, channels[1:])))

    def forward(self, x: Tensor) -> list[Tensor]:
        """Every block's output, the last one (N, 8 ndf, 4, 4) at the end."""
        features = []
        for block in self.blocks:
            x = block(x)
            features.append(x)
        return features


class Encoder(nn.Module):
    """q(z | x): (N, 3, 64, 64) RGB in [0, 1] -> mean and log-variance, each (N, z_dim)."""

    def __init__(self, ndf: int = 128, z_dim: int = 100) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.trunk = Trunk(ndf)
        self.latent = nn.Linear(ndf * WIDTHS[-1] * BASE * BASE, 2 * z_dim)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x * 2.0 - 1.0)[-1]
        mu, log_var = self.latent(h.flatten(1)).chunk(2, dim=1)
        return mu, log_var


class Decoder(nn.Module):
    """p(x | z): (N, z_dim) -> (N, 3, 64, 64) RGB in [0, 1]."""

    def __init__(self, ngf: int = 128, z_dim: int = 100) -> None:
        super().__init__()
        self.z_dim = z_dim
        top = ngf * WIDTHS[-1]
        self.project = nn.Linear(z_dim, top * BASE * BASE, bias=False)
        self.project_norm = nn.BatchNorm2d(top)
        widths = [ngf * w for w in reversed(WIDTHS)]
        self.blocks = nn.Sequential(*(UpBlock(a, b) for a, b in zip(widths, widths[1:])))
        self.to_rgb = nn.ConvTranspose2d(widths[-1], 3, KERNEL, stride=2, padding=KERNEL // 2, output_padding=1)
        self.top = top

    def forward(self, z: Tensor) -> Tensor:
        h = self.project(z).view(-1, self.top, BASE, BASE)
        h = self.blocks(torch.relu(self.project_norm(h)))
        return torch.sigmoid(self.to_rgb(h))


class Discriminator(nn.Module):
    """Real or generated: (N, 3, 64, 64) in [0, 1] -> logits (N,); :meth:`features` for the introspective loss."""

    def __init__(self, ndf: int = 128) -> None:
        super().__init__()
        self.trunk = Trunk(ndf)
        self.logit = nn.Linear(ndf * WIDTHS[-1] * BASE * BASE, 1)

    def features(self, x: Tensor) -> list[Tensor]:
        """The trunk's feature maps, (N, ndf, 32, 32) ... (N, 8 ndf, 4, 4)."""
        return self.trunk(x * 2.0 - 1.0)

    def forward(self, x: Tensor) -> tuple[Tensor, list[Tensor]]:
        """(logits (N,), feature maps) in one pass."""
        features = self.features(x)
        return self.logit(features[-1].flatten(1)).squeeze(1), features


class LatentPrior(nn.Module):
    """Where random faces come from: z = mean + scale @ eps for eps ~ N(0, I).

    N(0, I) (the VAE prior) until :meth:`fit` is given the encoder's means of
    the training faces; then a Gaussian fitted to them, whose samples decode
    to faces even where the posterior has not filled the prior (ex-post
    density estimation, Ghosh et al. 2020).

    Buffers: ``mean`` (Z,), ``scale`` (Z, Z) lower-triangular.
    """

    def __init__(self, z_dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(z_dim))
        self.register_buffer("scale", torch.eye(z_dim))

    def fit(self, means: Tensor, jitter: float = 1e-4) -> "LatentPrior":
        """Fit to encoder means (N, Z), N > 1: their mean and the Cholesky factor of their covariance."""
        covariance = torch.cov(means.T.double()) + jitter * torch.eye(means.shape[1], dtype=torch.float64)
        self.mean.copy_(means.double().mean(0))
        self.scale.copy_(torch.linalg.cholesky(covariance))
        return self

    def forward(self, eps: Tensor) -> Tensor:
        """(N, Z) standard normal noise -> (N, Z) latents."""
        return self.mean + eps @ self.scale.T


class IntrospectiveAdversarialNetwork(nn.Module):
    """Encoder and decoder of one model, with the discriminator (training) or the latent prior (editing).

    Args:
        ndf: encoder and discriminator width of the first layer (paper: 128).
        ngf: decoder width of the last hidden layer (paper: 128; the first is 8 ngf).
        z_dim: latent dimensions (paper: 100).
        discriminator: the training network: build the discriminator; the
            editing network (the default) has a :class:`LatentPrior` instead,
            fitted when the model is installed.
    """

    def __init__(self, ndf: int = 128, ngf: int = 128, z_dim: int = 100, *, discriminator: bool = False) -> None:
        super().__init__()
        self.ndf, self.ngf, self.z_dim = ndf, ngf, z_dim
        self.encoder = Encoder(ndf, z_dim)
        self.decoder = Decoder(ngf, z_dim)
        self.discriminator = Discriminator(ndf) if discriminator else None
        self.prior = None if discriminator else LatentPrior(z_dim)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(N, 3, 64, 64) in [0, 1] -> (mu, log_var), each (N, z_dim)."""
        return self.encoder(x)

    def decode(self, z: Tensor) -> Tensor:
        """(N, z_dim) -> (N, 3, 64, 64) in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction through the mean: (N, 3, 64, 64) -> (N, 3, 64, 64)."""
        return self.decode(self.encode(x)[0])

    def sample_latent(self, eps: Tensor) -> Tensor:
        """(N, Z) standard normal noise -> latents of random faces (through the prior, if this net has one)."""
        return eps if self.prior is None else self.prior(eps)

    def editing_state_dict(self, prior: LatentPrior) -> dict[str, Tensor]:
        """Encoder, decoder and ``prior``: what :func:`build` loads."""
        weights = {k: v for k, v in self.state_dict().items() if not k.startswith("discriminator.")}
        return {**weights, **{f"prior.{k}": v for k, v in prior.state_dict().items()}}




def ian_64(*, ndf: int = 128, ngf: int = 128, z_dim: int = 100, discriminator: bool = False) -> IntrospectiveAdversarialNetwork:
    """The 64 x 64 IAN; the defaults are the paper's widths (128 -> 1024 channels, 100 latent dimensions)."""
    return IntrospectiveAdversarialNetwork(ndf, ngf, z_dim, discriminator=discriminator)


BUILDERS = {"ian_64": ian_64}
SIZES = ("ndf", "ngf", "z_dim")


def sizes_of(options: Mapping) -> dict[str, int]:
    """The size arguments among a spec's options."""
    return {k: int(options[k]) for k in SIZES if k in options}


def build(spec) -> IntrospectiveAdversarialNetwork:
    """The editing network (encoder + decoder) for a registry entry: ``spec.arch`` names the builder."""
    try:
        builder = BUILDERS[spec.arch]
    except KeyError:
        raise ValueError(f"unknown npe architecture {spec.arch!r}; known: {', '.join(BUILDERS)}") from None
    return builder(**sizes_of(spec.options))


__all__ = ["BUILDERS", "Decoder", "Discriminator", "DownBlock", "Encoder", "IMAGE_SIZE", "IntrospectiveAdversarialNetwork",
           "LatentPrior", "Trunk", "UpBlock", "build", "ian_64", "init_weights", "sizes_of"]
