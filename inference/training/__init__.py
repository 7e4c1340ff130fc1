"""Training loops: pix2pix, the multi-style network, the AdaIN decoder.

Each trainer module exposes ``add_arguments(parser)`` and ``run(args) -> int``
and is listed in :data:`inference.cli.train.TRAINERS`; ``python -m inference
train NAME`` and ``python manage.py train NAME`` both reach it.
"""
