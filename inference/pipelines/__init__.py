"""Pure pipelines: pre-processing, forward and post-processing, no I/O and no global state.

One module per tool, each with exactly one entry point of the same shape::

    render(image, nets, options, progress=None) -> Image

- ``image``: one Pillow image, any mode and size;
- ``nets``: :class:`inference.engine.Nets` from :func:`inference.engine.load_nets`
  (the model's registry entry, its network, and the networks it works with);
- ``options``: the tool's frozen options record (:class:`colorize.ColorizeOptions`,
  :class:`sketch.SketchOptions`, :class:`style_options.StyleOptions`,
  :class:`edit.EditOptions`);
- ``progress``: optional ``(fraction, stage)`` callback that may raise to cancel.

The command line, the Celery job and the live path all call it; loading
networks and every cache belong to :mod:`inference.engine`. Sketch's
``render`` also takes ``forward=``, the one forward step, so the live path
can hand it a micro-batcher that shares one pass among many people's frames
while pre- and post-processing stay per frame. Edit's ``render`` takes
``image=None`` when its options start from a seed; its live path calls the
per-stroke steps of :mod:`.edit` on a kept state instead.
"""
