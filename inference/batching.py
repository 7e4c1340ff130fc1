"""Micro-batching: many callers, one forward pass.

Live frames from many clients arrive one at a time on worker threads. Each
thread hands its item to the model's batcher and waits; the batcher's own
thread takes whatever has arrived (up to ``max_batch`` items), runs one call
for all of them and hands each caller its own result. A frame waits for at
most the batch being computed plus its own, so one busy client cannot hold
another back by more than one batch.

Most of a batch gathers by itself while the previous one runs. The batcher
waits up to ``max_wait`` for newcomers only while the batch is smaller than
the previous one, i.e. when traffic says more frames are on their way (the
clients whose answers just went out are sending their next drawings); a
lone client never waits (on the 2-core CPU the fixed 4 ms wait was a tenth
of its round trip).

Items that cannot share a forward pass (different options) carry different
``group`` keys; a batch only ever holds one group.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Request:
    group: Hashable
    item: Any
    future: Future = field(default_factory=Future)
    enqueued: float = field(default_factory=time.perf_counter)


@dataclass(frozen=True)
class BatchResult:
    """What a caller gets back: its own output and how its batch went."""

    output: Any
    batch_size: int
    wait_s: float
    run_s: float


class MicroBatcher:
    """Runs ``run_batch(group, items) -> outputs`` for items gathered from many threads.

    Args:
        run_batch: called on the batcher's thread with one group key and a list
            of items; must return one output per item, in order.
        max_batch: most items in one call.
        max_wait: the longest a batch keeps gathering newcomers after its first item,
            while it is smaller than the previous batch.
    """

    def __init__(self, run_batch: Callable[[Hashable, list[Any]], Sequence[Any]], *,
                 max_batch: int = 16, max_wait: float = 0.004, name: str = "batcher"):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.Queue[_Request] = queue.Queue()
        self._held: list[_Request] = []  # arrived during gathering but belong to another group
        self._last_size = 1  # the previous batch's size: how many items traffic leads us to expect
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: Any, group: Hashable = None) -> Future:
        """Queue ``item``; the future resolves to a :class:`BatchResult`."""
        request = _Request(group, item)
        self._queue.put(request)
        return request.future

    def __call__(self, item: Any, group: Hashable = None, timeout: float | None = None) -> BatchResult:
        """Submit and wait: the form worker threads use."""
        return self.submit(item, group).result(timeout)

    def _next(self, timeout: float | None) -> _Request | None:
        if self._held:
            return self._held.pop(0)
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _gather(self) -> list[_Request]:
        first = self._next(None)
        batch = [first]
        deadline = time.perf_counter() + self.max_wait
        # Same-group items held back from an earlier batch join at once.
        for request in list(self._held):
            if len(batch) < self.max_batch and request.group == first.group:
                self._held.remove(request)
                batch.append(request)
        while len(batch) < self.max_batch:
            remaining = deadline - time.perf_counter()
            expecting = len(batch) < self._last_size
            try:
                # Items already waiting always join; only the wait for newcomers ends at the deadline.
                if remaining > 0 and expecting:
                    request = self._queue.get(timeout=remaining)
                else:
                    request = self._queue.get_nowait()
            except queue.Empty:
                break
            if request.group == first.group:
                batch.append(request)
            else:
                self._held.append(request)
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._gather()
            self._last_size = len(batch)
            started = time.perf_counter()
            try:
                outputs = list(self.run_batch(batch[0].group, [r.item for r in batch]))
                if len(outputs) != len(batch):
                    raise RuntimeError(f"run_batch returned {len(outputs)} outputs for {len(batch)} items")
            except BaseException as exc:  # every waiting caller must hear about it
                for request in batch:
                    request.future.set_exception(exc)
                continue
            run_s = time.perf_counter() - started
            for request, output in zip(batch, outputs):
                request.future.set_result(BatchResult(output, len(batch), started - request.enqueued, run_s))
