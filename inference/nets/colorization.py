"""Zhang et al. colourisers: ECCV16 "Colorful Image Colorization" and SIGGRAPH17
"Real-Time User-Guided Image Colorization with Learned Deep Priors".

The attribute names and ``nn.Sequential`` indices mirror richzhang/colorization
exactly, so the official ``colorization_release_v2-9b330a0b.pth`` and
``siggraph17-df00044c.pth`` load with ``strict=True`` and no key remapping
(``model1.0.weight``, ``model1.4.running_mean``, ``model8.6.weight``,
``model_out.weight`` ...). That is also why the blocks are plain Sequentials
built by small helpers instead of one class per block as elsewhere in
``inference.nets``: a class per block would add a level to every key.

Both nets take L in [0, 100] and return ab in Lab units at the input
resolution; input height and width must be multiples of 8.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

AB_BINS = 313  # quantised ab gamut classes of ECCV16
SIGGRAPH_CLASSES = 529  # 23 x 23 ab grid of SIGGRAPH17's classification head


class BaseColor(nn.Module):
    """Normalisation shared by both colourisers (constants from the official code)."""

    l_cent = 50.0
    l_norm = 100.0
    ab_norm = 110.0

    def normalize_l(self, l: Tensor) -> Tensor:
        """L in [0, 100] -> roughly [-0.5, 0.5]."""
        return (l - self.l_cent) / self.l_norm

    def unnormalize_l(self, l: Tensor) -> Tensor:
        """Inverse of :meth:`normalize_l`."""
        return l * self.l_norm + self.l_cent

    def normalize_ab(self, ab: Tensor) -> Tensor:
        """ab in Lab units -> roughly [-1, 1]."""
        return ab / self.ab_norm

    def unnormalize_ab(self, ab: Tensor) -> Tensor:
        """Inverse of :meth:`normalize_ab`."""
        return ab * self.ab_norm


def _conv_relu_stack(channels: list[int], *, stride_last: int = 1, dilation: int = 1, leading_relu: bool = False) -> list[nn.Module]:
    """[ReLU,] Conv3x3, ReLU, Conv3x3, ReLU ... for consecutive channel pairs.

    Padding equals dilation so spatial size is kept (except the optional
    stride on the last conv). ``leading_relu`` puts the ReLU first, as the
    SIGGRAPH17 decoder blocks do after their skip additions.
    """
    layers: list[nn.Module] = []
    pairs = list(zip(channels[:-1], channels[1:]))
    for i, (c_in, c_out) in enumerate(pairs):
        stride = stride_last if i == len(pairs) - 1 else 1
        conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=dilation, dilation=dilation, bias=True)
        layers += [nn.ReLU(True), conv] if leading_relu else [conv, nn.ReLU(True)]
    return layers


def _block(channels: list[int], *, stride_last: int = 1, dilation: int = 1) -> nn.Sequential:
    """Encoder block: conv/ReLU pairs followed by BatchNorm (official ordering)."""
    return nn.Sequential(
        *_conv_relu_stack(channels, stride_last=stride_last, dilation=dilation),
        nn.BatchNorm2d(channels[-1]),
    )


class ECCV16Colorizer(BaseColor):
    """ECCV16 colouriser: VGG-like encoder, 313-way ab classification, expectation decoding.

    The released net predicts a distribution over 313 ab bins at 1/4
    resolution; ``model_out`` (a 1x1 conv without bias whose weights are the
    bin centres) turns the softmax into its expected ab, then a x4 bilinear
    upsample returns to the input resolution.
    """

    def __init__(self) -> None:
        super().__init__()
        # Three stride-2 convs take the input to 1/8 resolution.
        self.model1 = _block([1, 64, 64], stride_last=2)
        self.model2 = _block([64, 128, 128], stride_last=2)
        self.model3 = _block([128, 256, 256, 256], stride_last=2)
        self.model4 = _block([256, 512, 512, 512])
        # Dilated convs widen the receptive field without losing resolution.
        self.model5 = _block([512, 512, 512, 512], dilation=2)
        self.model6 = _block([512, 512, 512, 512], dilation=2)
        self.model7 = _block([512, 512, 512, 512])
        self.model8 = nn.Sequential(
            nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1, bias=True),
            nn.ReLU(True),
            *_conv_relu_stack([256, 256, 256]),
            nn.Conv2d(256, AB_BINS, 1, bias=True),
        )
        self.softmax = nn.Softmax(dim=1)
        self.model_out = nn.Conv2d(AB_BINS, 2, 1, bias=False)
        self.upsample4 = nn.Upsample(scale_factor=4, mode="bilinear", align_corners=False)

    def forward(self, l: Tensor) -> Tensor:
        """Predict ab for a lightness image.

        Args:
            l: (N, 1, H, W) L channel in [0, 100]; H, W multiples of 8.

        Returns:
            (N, 2, H, W) ab in Lab units.
        """
        x = self.model1(self.normalize_l(l))
        for block in (self.model2, self.model3, self.model4, self.model5, self.model6, self.model7, self.model8):
            x = block(x)
        ab = self.model_out(self.softmax(x))
        return self.unnormalize_ab(self.upsample4(ab))


class SIGGRAPH17Colorizer(BaseColor):
    """SIGGRAPH17 colouriser: U-Net with user hints (ab + mask) as extra input channels.

    Encoder at full, 1/2, 1/4 and 1/8 resolution (subsampling by taking
    every other pixel, as the official code does), decoder with transposed
    convs and additive skips (``model3short8`` ...), regression head
    ``model_out`` (tanh, times 110). ``model_class`` is the 529-way
    classification head used in training, on the 1/4-resolution decoder
    features; :meth:`forward` returns only the regression, as the released
    model does, and :meth:`heads` returns both, as the training code does.
    """

    def __init__(self, classes: int = SIGGRAPH_CLASSES) -> None:
        super().__init__()
        self.model1 = _block([4, 64, 64])
        self.model2 = _block([64, 128, 128])
        self.model3 = _block([128, 256, 256, 256])
        self.model4 = _block([256, 512, 512, 512])
        self.model5 = _block([512, 512, 512, 512], dilation=2)
        self.model6 = _block([512, 512, 512, 512], dilation=2)
        self.model7 = _block([512, 512, 512, 512])

        self.model8up = nn.Sequential(nn.ConvTranspose2d(512, 256, 4, stride=2, padding=1, bias=True))
        self.model3short8 = nn.Sequential(nn.Conv2d(256, 256, 3, padding=1, bias=True))
        self.model8 = nn.Sequential(*_conv_relu_stack([256, 256, 256], leading_relu=True), nn.ReLU(True), nn.BatchNorm2d(256))

        self.model9up = nn.Sequential(nn.ConvTranspose2d(256, 128, 4, stride=2, padding=1, bias=True))
        self.model2short9 = nn.Sequential(nn.Conv2d(128, 128, 3, padding=1, bias=True))
        self.model9 = nn.Sequential(*_conv_relu_stack([128, 128], leading_relu=True), nn.ReLU(True), nn.BatchNorm2d(128))

        self.model10up = nn.Sequential(nn.ConvTranspose2d(128, 128, 4, stride=2, padding=1, bias=True))
        self.model1short10 = nn.Sequential(nn.Conv2d(64, 128, 3, padding=1, bias=True))
        self.model10 = nn.Sequential(
            nn.ReLU(True),
            nn.Conv2d(128, 128, 3, padding=1, bias=True),
            nn.LeakyReLU(negative_slope=0.2),
        )

        self.model_class = nn.Sequential(nn.Conv2d(256, classes, 1, bias=True))
        self.model_out = nn.Sequential(nn.Conv2d(128, 2, 1, bias=True), nn.Tanh())

    def forward(self, l: Tensor, ab_hint: Tensor | None = None, mask: Tensor | None = None) -> Tensor:
        """Predict ab for a lightness image, guided by optional user hints.

        Args:
            l: (N, 1, H, W) L channel in [0, 100]; H, W multiples of 8.
            ab_hint: (N, 2, H, W) hint colours in Lab units, zero where no hint.
            mask: (N, 1, H, W) 1 where a hint is given, else 0.

        Returns:
            (N, 2, H, W) ab in Lab units.
        """
        _, regression = self._decode(l, ab_hint, mask)
        return self.unnormalize_ab(regression)

    def heads(self, l: Tensor, ab_hint: Tensor | None = None, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Both outputs of the network, as the official training code returns them.

        Args: as :meth:`forward`.

        Returns:
            ``(class_logits, regression)``: (N, 529, H/4, W/4) logits over the
            23 x 23 ab grid (before softmax), and (N, 2, H, W) ab in units
            of 110, in [-1, 1] (tanh); ``forward`` is ``regression * 110``.
        """
        features, regression = self._decode(l, ab_hint, mask)
        return self.model_class(features), regression

    def _decode(self, l: Tensor, ab_hint: Tensor | None, mask: Tensor | None) -> tuple[Tensor, Tensor]:
        """(N, 256, H/4, W/4) features under the classification head, (N, 2, H, W) tanh regression."""
        if ab_hint is None:
            ab_hint = l.new_zeros((l.shape[0], 2, *l.shape[2:]))
        if mask is None:
            mask = l.new_zeros(l.shape)
        conv1_2 = self.model1(torch.cat((self.normalize_l(l), self.normalize_ab(ab_hint), mask), dim=1))
        conv2_2 = self.model2(conv1_2[:, :, ::2, ::2])
        conv3_3 = self.model3(conv2_2[:, :, ::2, ::2])
        conv4_3 = self.model4(conv3_3[:, :, ::2, ::2])
        conv7_3 = self.model7(self.model6(self.model5(conv4_3)))

        conv8_3 = self.model8(self.model8up(conv7_3) + self.model3short8(conv3_3))
        conv9_3 = self.model9(self.model9up(conv8_3) + self.model2short9(conv2_2))
        conv10_2 = self.model10(self.model10up(conv9_3) + self.model1short10(conv1_2))
        return conv8_3, self.model_out(conv10_2)


def eccv16() -> ECCV16Colorizer:
    """ECCV16 colouriser with random weights (load the official file to use it)."""
    return ECCV16Colorizer()


def siggraph17() -> SIGGRAPH17Colorizer:
    """SIGGRAPH17 colouriser with random weights (load the official file to use it)."""
    return SIGGRAPH17Colorizer()


def build(spec) -> BaseColor:
    """The registry's entry point: a randomly initialised net for ``spec.arch``."""
    builders = {"eccv16": eccv16, "siggraph17": siggraph17}
    if spec.arch not in builders:
        from ..errors import InferenceError

        raise InferenceError(f"No colorization network called {spec.arch!r}.")
    return builders[spec.arch]()
