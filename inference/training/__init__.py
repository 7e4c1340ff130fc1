"""Training: pix2pix, the multi-style network, the AdaIN decoder, all through one harness.

:mod:`.harness` runs a :class:`~.harness.Trainer` (run folder, loss log,
samples, curves, resume); :mod:`.command` is the shared face of every
``train NAME`` command (common options, installing the result). Each
trainer module exposes ``add_arguments(parser)`` and ``run(args) -> int`` and
is listed in :data:`inference.cli.train.TRAINERS`; ``python -m inference
train NAME`` and ``python manage.py train NAME`` both reach it.
"""

from ..errors import InferenceError


class TrainingError(InferenceError):
    """A run cannot start or go on: its data, its run folder, a needed model. The message is for people."""


class BadOption(TrainingError):
    """An option value that cannot work (a size below 1, a name that is taken ...)."""
