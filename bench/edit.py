"""Edit: the time of one brush update, what the live page waits for after each stroke segment.

    python bench/edit.py                          # the bundled npe-faces model, CPU, 1 torch thread
    python bench/edit.py --threads 2 --updates 200
    python bench/edit.py --device cuda
    python bench/edit.py --model my-faces --steps 6

One update = :func:`inference.pipelines.edit.apply_stroke` (``--steps``
gradient steps on z for one stroke segment of a few points) +
:func:`inference.pipelines.edit.compose` (decode, mask, blend into the
photo) on a kept state, as the live path does. The segments walk across the
face; each starts where the last ended. Prints the model, device, p50 and
p95 in milliseconds of wall time, and of the process's CPU time (on a shared
machine the difference is time spent waiting for a core). Prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.engine import load_nets, pick_device  # noqa: E402
from inference.pipelines.edit import EditOptions, Stroke, apply_stroke, compose, start_from_seed  # noqa: E402
from inference.registry import get_spec  # noqa: E402


def segments(count: int, points: int) -> list[Stroke]:
    """``count`` short segments of ``points`` points each along a wavy path over the picture."""
    strokes = []
    for i in range(count):
        t0 = (i % 40) / 40
        path = tuple((0.2 + 0.6 * (t0 + k / (40 * points)), 0.3 + 0.2 * ((i // 40) % 3)) for k in range(points))
        strokes.append(Stroke(path, (200, 160, 90), 0.06))
    return strokes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="npe-faces")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1, as a live worker thread)")
    parser.add_argument("--steps", type=int, default=EditOptions().steps, help="gradient steps per segment")
    parser.add_argument("--points", type=int, default=4, help="points per segment")
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    spec = get_spec(args.model)
    nets = load_nets(spec, device=device)
    options = EditOptions(steps=args.steps)
    state = start_from_seed(nets, 0)
    times, cpu_times = [], []
    for i, stroke in enumerate(segments(args.warmup + args.updates, args.points)):
        started, cpu_started = time.perf_counter(), time.process_time()
        state = apply_stroke(state, nets, stroke, options)
        picture, _ = compose(state, nets, options)
        picture.cpu()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= args.warmup:
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
    net = nets.net
    p50 = statistics.median(times)
    p95 = statistics.quantiles(times, n=100)[94]
    print(f"model {spec.name} (arch {spec.arch}, ndf {net.ndf}, ngf {net.ngf}, z {net.z_dim}) on {device}, "
          f"{args.threads} thread(s), {args.steps} gradient steps per update")
    print(f"brush update (steps + decode + mask + blend): p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(times)} updates")
    cpu = statistics.quantiles(cpu_times, n=100)
    print(f"CPU time of the process per update: p50 {statistics.median(cpu_times):.1f} ms, p95 {cpu[94]:.1f} ms "
          f"(below the wall time when other processes share the cores)")


if __name__ == "__main__":
    main()
