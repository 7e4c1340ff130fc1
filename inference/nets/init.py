"""The GAN papers' weight initialisation, shared by the families that train adversarially."""

from torch import nn


def init_weights(net: nn.Module, gain: float = 0.02) -> nn.Module:
    """DCGAN / pix2pix "normal" init: convolutions and linear layers N(0, gain), batch-norm scales
    N(1, gain), biases 0 (the official pix2pix code's ``init_type='normal'``). Returns ``net``."""
    for module in net.modules():
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(module.weight, 0.0, gain)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, gain)
            nn.init.zeros_(module.bias)
    return net
