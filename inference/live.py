"""Live rendering: a resident model behind a micro-batcher.

Worker threads each hold one client's frame. Decoding, pre- and
post-processing run on those threads in parallel; only the forward pass is
shared, through :class:`inference.batching.MicroBatcher`, so frames from all
clients of a model go through the network together.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from PIL import Image

from .batching import BatchResult, MicroBatcher
from .modelspec import ModelSpec


class LiveSketchModel:
    """One pix2pix model kept warm for live frames."""

    def __init__(self, spec: ModelSpec, *, max_batch: int = 16, max_wait: float = 0.004, device=None):
        from .engine import Nets, load_nets
        from .pipelines.sketch import SketchOptions

        self.spec = spec
        self.nets = load_nets(spec, device=device)
        if next(self.nets.net.parameters()).is_cuda:
            import copy

            import torch

            # Tensor cores want half precision and channels_last; a private copy keeps the
            # float32 net of the shared cache for batch renders. (Not yet measured on a GPU.)
            self.nets = Nets(spec, copy.deepcopy(self.nets.net).half().to(memory_format=torch.channels_last))
        self.batcher = MicroBatcher(self._run_batch, max_batch=max_batch, max_wait=max_wait,
                                    name=f"batcher-{spec.name}")
        # Warm up once (allocations, kernel selection) before the first client waits on it.
        blank = Image.new("RGB", (spec.input_size, spec.input_size), "white")
        self.render(blank, SketchOptions(dropout=False))

    def _run_batch(self, options, items):
        import torch

        from .pipelines.sketch import generate

        batch = torch.stack([tensor for tensor, _ in items])
        return list(generate(self.nets.net, batch, options, [seed for _, seed in items]))

    def render(self, image: Image.Image, options) -> tuple[Image.Image, BatchResult]:
        """Render one frame; blocks until its batch has run. Thread-safe."""
        from .pipelines.sketch import render

        batches: list[BatchResult] = []

        def forward(tensor, seed):
            # Frames share a forward pass when all options but the per-frame seed agree.
            batches.append(self.batcher((tensor, seed), group=replace(options, seed=None)))
            return batches[0].output

        picture = render(image, self.nets, options, forward=forward)
        return picture, batches[0]


_MODELS: dict[str, LiveSketchModel] = {}
_LOCK = threading.Lock()


def live_sketch_model(spec: ModelSpec, *, torch_threads: int = 0, **kwargs) -> LiveSketchModel:
    """The process-wide live model for ``spec``, created (and warmed up) on first use.

    ``torch_threads`` (> 0) caps torch's intra-op threads for the whole process on
    first use, for CPUs where the worker's own threads already keep every core
    busy; measure with bench/sketch_load.py before changing it.
    """
    with _LOCK:
        if torch_threads > 0 and not _MODELS:
            import torch

            torch.set_num_threads(torch_threads)
        model = _MODELS.get(spec.name)
        if model is None:
            model = _MODELS[spec.name] = LiveSketchModel(spec, **kwargs)
        return model
