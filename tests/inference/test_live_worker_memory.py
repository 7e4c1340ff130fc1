"""A live worker keeps the memory torch frees, so a batch's activations do not page-fault in again (inference/live.py)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Allocates and frees activations the size of a CPU batch of 8 demo frames (8 x 16 x 256 x 256 float32,
# 34 MB: above glibc's largest mmap threshold) on a thread, as the live torch thread does, and prints the
# median of the minor page faults of the last ten of 30 passes. With the memory kept, the heap still grows
# for the first few passes (up to the ninth in 20 runs here), until its free blocks fit a whole pass.
PASSES = """
import resource, statistics, sys, threading
sys.path.insert(0, {root!r})
import torch
from inference.live import keep_freed_memory
kept = keep_freed_memory() if sys.argv[1] == "keep" else None

def passes():
    def once():
        x = torch.ones(8, 16, 256, 256)
        y = x * 2
        del x, y
    faults = []
    for _ in range(30):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        once()
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    print(kept, statistics.median(faults[-10:]))

thread = threading.Thread(target=passes)
thread.start()
thread.join()
"""


def _faults(mode: str) -> tuple[str, float]:
    # A process of its own: the setting is process-wide, and the test process should keep glibc's defaults.
    done = subprocess.run([sys.executable, "-c", PASSES.format(root=str(ROOT)), mode],
                          capture_output=True, text=True, timeout=120, check=True)
    kept, faults = done.stdout.split()
    return kept, float(faults)


def test_freed_activations_stay_mapped_for_the_next_batch():
    kept, kept_faults = _faults("keep")
    if kept == "False":
        pytest.skip("not glibc: keep_freed_memory does nothing here")
    _, default_faults = _faults("default")
    # 34 MB is about 8200 pages: by default each pass maps both tensors afresh; kept, a settled pass maps
    # neither.
    assert default_faults > 8000
    assert kept_faults < 4000
