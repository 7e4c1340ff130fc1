"""Live rendering: a resident model behind a micro-batcher.

Worker threads each hold one client's frame. Decoding, pre- and
post-processing run on those threads in parallel; only the forward pass is
shared, through :class:`inference.batching.MicroBatcher`, so frames from all
clients of a model go through the network together.

The forward pass runs on inference copies of the network
(:mod:`inference.nets.fold`: BatchNorm folded for eval, fused per-image
statistics for the official mode, channels_last; on the CPU with Winograd
strided convolutions, :mod:`inference.nets.winograd`); on a GPU in half precision,
with batches padded to a few fixed sizes (:data:`GPU_BUCKETS`) so that every
shape the live path runs was seen, and its kernels chosen, while warming up.

Every model of a process loads, warms up and runs its batches on one thread,
:func:`on_torch_thread`. GNU OpenMP, which runs torch's CPU kernels, keeps a
team of threads for every thread that starts parallel work; once there are
more such threads than cores it stops letting idle team threads spin between
kernels, and each of the hundred-odd kernels of a forward pass then waits for
its team to wake up. Before this, each warmed model's batcher thread had a
team of its own, and so did every worker thread that rendered a preview.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from PIL import Image

from .batching import BatchResult, MicroBatcher
from .modelspec import ModelSpec

log = logging.getLogger(__name__)

# Batch sizes a GPU runs: a batch is padded up to the next one (blank images, dropped afterwards).
GPU_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
# On a CPU a batch gains nothing past 8 frames and then loses: the activations no longer fit the
# caches (2-core machine, bench/forward.py: unet_256 82 ms a frame at batch 8, 109 at 16; the demo
# model 15.6 and 17.1). Larger LIVE_MAX_BATCH values apply to GPUs only.
CPU_MAX_BATCH = 8


class _TorchThread:
    """The live worker's one thread for torch work (module docstring); made again after a fork."""

    def __init__(self):
        self.lock = threading.Lock()
        self.executor: ThreadPoolExecutor | None = None
        self.pid = None
        self.ident = None

    def run(self, fn, *args, **kwargs):
        if threading.get_ident() == self.ident:  # already on it (a model loading calls back in)
            return fn(*args, **kwargs)
        with self.lock:
            if self.executor is None or self.pid != os.getpid():
                self.executor, self.pid = ThreadPoolExecutor(1, thread_name_prefix="live-torch"), os.getpid()
                self.ident = self.executor.submit(threading.get_ident).result()
            executor = self.executor
        return executor.submit(fn, *args, **kwargs).result()


_TORCH_THREAD = _TorchThread()


def on_torch_thread(fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` run on the process's live torch thread; blocks until it returns (or raises)."""
    return _TORCH_THREAD.run(fn, *args, **kwargs)


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8


def keep_freed_memory() -> bool:
    """Have glibc keep the memory torch frees for the next batch instead of returning it to the kernel.

    A CPU forward pass allocates its activations afresh (a batch of 8 demo frames at
    256x256 has 34 MB tensors), and glibc serves blocks over 32 MB with mmap and unmaps
    them on free, so every batch page-faulted and zeroed its activations again (the
    kernel's page-fault path was among the largest items of the live worker's torch
    threads in ``perf record -a`` under bench/sketch_load.py). Process-wide, so only
    for processes that run live batches (:func:`prepare_live_process`) and the
    benchmark that times them. False where the C library is not glibc.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    # Large blocks come from the heap instead of mmap, the heap is never trimmed back, and
    # every thread shares the main heap: a thread's own arena is made of 64 MB heaps,
    # which glibc unmaps whenever one empties, whatever the trim threshold.
    return all(mallopt(param, value) for param, value in
               ((_M_ARENA_MAX, 1), (_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, 2**31 - 1)))


def bucket(size: int, largest: int) -> int:
    """The smallest bucket holding ``size`` frames (``largest`` caps the list)."""
    return next((b for b in GPU_BUCKETS if b >= size), max(size, largest))


class LiveSketchModel:
    """One pix2pix model kept warm for live frames."""

    def __init__(self, spec: ModelSpec, *, max_batch: int = 16, max_wait: float = 0.004, device=None,
                 gpu_dtype: str = "float16"):
        import torch

        from .engine import load_nets
        from .nets.fold import inference_copies
        from .pipelines.sketch import SketchOptions

        started = time.perf_counter()
        self.spec = spec
        self.nets = load_nets(spec, device=device)
        self.cuda = next(self.nets.net.parameters()).is_cuda
        # norm mode -> network; an instance-norm net has one network for both.
        self.copies = inference_copies(self.nets.net, cpu_size=None if self.cuda else spec.input_size)
        if self.cuda:
            # Tensor cores want half precision and channels_last; private copies keep the
            # float32 net of the shared cache for batch renders.
            dtype = getattr(torch, gpu_dtype)
            torch.backends.cudnn.benchmark = True  # one kernel search per bucket, at warm-up
            base = self.copies or {"any": self.nets.net}
            import copy

            self.copies = {mode: copy.deepcopy(net).to(dtype=dtype, memory_format=torch.channels_last)
                           for mode, net in base.items()}
        self.max_batch = max_batch if self.cuda else min(max_batch, CPU_MAX_BATCH)
        # The batcher's thread gathers frames; the forward pass runs on the torch thread (module docstring).
        self.batcher = MicroBatcher(lambda options, items: on_torch_thread(self._run_batch, options, items),
                                    max_batch=self.max_batch, max_wait=max_wait, name=f"batcher-{spec.name}")
        # Warm up (allocations, kernel selection) before the first client waits on it: every
        # norm mode, and on a GPU every bucket up to max_batch.
        for norm in ("official", "eval"):
            sizes = [b for b in GPU_BUCKETS if b <= bucket(max_batch, max_batch)] if self.cuda else [1]
            for size in sizes:
                self._forward(torch.zeros(size, self.channels, spec.input_size, spec.input_size),
                              SketchOptions(norm=norm, dropout=False), [None] * size)
        # A whole frame too (preparation, finishing), straight through: this runs on the torch thread,
        # which the batcher would wait for.
        from .pipelines.sketch import render

        blank = Image.new("RGB", (spec.input_size, spec.input_size), "white")
        render(blank, self.nets, SketchOptions(dropout=False),
               forward=lambda tensor, seed: self._forward(tensor[None], SketchOptions(dropout=False), [seed])[0])
        self.warm_s = time.perf_counter() - started
        log.info("live model %s warm in %.2f s", spec.name, self.warm_s)

    @property
    def channels(self) -> int:
        return int((self.nets.spec.options or {}).get("input_nc", 3))

    def network(self, norm: str):
        """The network that runs frames in normalisation mode ``norm``."""
        if not self.copies:
            return self.nets.net
        return self.copies.get(norm) or self.copies["any"]

    def _forward(self, batch, options, seeds):
        from .pipelines.sketch import generate

        return generate(self.network(options.norm), batch, options, seeds)

    def _run_batch(self, options, items):
        import torch

        batch = torch.stack([tensor for tensor, _ in items])
        seeds = [seed for _, seed in items]
        if self.cuda:
            padded = bucket(len(items), self.max_batch)
            if padded > len(items):
                batch = torch.cat([batch, batch.new_zeros((padded - len(items), *batch.shape[1:]))])
                seeds = seeds + [0] * (padded - len(items))
        return list(self._forward(batch, options, seeds)[:len(items)])

    def render(self, image: Image.Image, options) -> tuple[Image.Image, BatchResult]:
        """Render one frame; blocks until its batch has run. Thread-safe."""
        from .pipelines.sketch import render

        batches: list[BatchResult] = []

        def forward(tensor, seed):
            # Frames share a forward pass when all options but the per-frame seed and style agree
            # (the style is in the frame's tensor already).
            batches.append(self.batcher((tensor, seed), group=replace(options, seed=None, style=())))
            return batches[0].output

        picture = render(image, self.nets, options, forward=forward)
        return picture, batches[0]


_MODELS: dict[str, LiveSketchModel] = {}
_LOCK = threading.Lock()


def prepare_live_process(torch_threads: int = 0) -> None:
    """Tune a process for live work, before it does any: glibc keeps the memory torch frees
    (:func:`keep_freed_memory`), and ``torch_threads`` (> 0) caps torch's intra-op threads, on
    the torch thread too (OpenMP keeps the count per thread). The live worker calls it as it
    starts (webapp/celery.py); measure with bench/sketch_load.py before changing the count.
    """
    keep_freed_memory()
    if torch_threads > 0:
        import torch

        torch.set_num_threads(torch_threads)
        on_torch_thread(torch.set_num_threads, torch_threads)


def live_sketch_model(spec: ModelSpec, **kwargs) -> LiveSketchModel:
    """The process-wide live model for ``spec``, created (and warmed up) on the torch thread on first use."""
    with _LOCK:
        model = _MODELS.get(spec.name)
        if model is None:
            model = _MODELS[spec.name] = on_torch_thread(LiveSketchModel, spec, **kwargs)
        return model
