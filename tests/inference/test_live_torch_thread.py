"""A live worker runs all its torch work on one thread, so OpenMP keeps one team of threads (inference/live.py)."""
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference.live import live_sketch_model, on_torch_thread
from inference.pipelines.sketch import SketchOptions
from inference.registry import get_spec


def _in_threads(fn, count: int) -> list:
    results, threads = [None] * count, []
    for i in range(count):
        threads.append(threading.Thread(target=lambda i=i: results.__setitem__(i, fn())))
        threads[-1].start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_work_from_any_thread_runs_on_the_same_one_and_may_call_back_in():
    idents = set(_in_threads(lambda: on_torch_thread(threading.get_ident), 6))
    assert len(idents) == 1 and threading.get_ident() not in idents
    # Work already on the thread (a model loading renders a frame) runs in place instead of waiting for itself.
    nested = _in_threads(lambda: on_torch_thread(lambda: on_torch_thread(threading.get_ident)), 1)
    assert set(nested) == idents


def test_an_exception_reaches_the_caller():
    def fail():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        on_torch_thread(fail)
    assert on_torch_thread(lambda: 42) == 42


def test_sketch_frames_from_many_threads_run_their_forward_passes_on_the_torch_thread():
    model = live_sketch_model(get_spec("landscape-sketch"))
    ran_on = []
    first_conv = model.network("official").model.model[0]  # generate() calls the layers, not the net
    hook = first_conv.register_forward_pre_hook(lambda *_: ran_on.append(threading.get_ident()))
    try:
        drawing = Image.new("RGB", (256, 256), "white")
        ImageDraw.Draw(drawing).line([(20, 200), (128, 40), (230, 200)], fill="black", width=5)
        pictures = _in_threads(lambda: model.render(drawing, SketchOptions(dropout=False, seed=3))[0], 4)
    finally:
        hook.remove()
    assert ran_on and set(ran_on) == {on_torch_thread(threading.get_ident)}
    # Same drawing, same picture (to a level: batches of other sizes may round the last bit differently).
    arrays = [np.asarray(p, dtype=np.int16) for p in pictures]
    assert all(np.abs(a - arrays[0]).max() <= 1 for a in arrays)


def test_a_live_process_caps_torch_threads_on_the_torch_thread_too():
    # A process of its own: the cap and glibc's setting are process-wide. The torch thread exists
    # first (a frame can come in while the worker starts), so its own OpenMP setting must change too.
    code = ("import torch; from inference.live import on_torch_thread, prepare_live_process; "
            "on_torch_thread(torch.get_num_threads); prepare_live_process(1); print(torch.get_num_threads(), on_torch_thread(torch.get_num_threads))")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["1", "1"]
