"""Per-frame time of Live Sketch on this machine's CPU: prepare + generate + finish, p50 / p95.

    python bench/sketch_frame_cpu.py --model landscape-paint --threads 1
    python bench/sketch_frame_cpu.py --model landscape-sketch --threads 2 --batch 4

Frames are held-out procedural drawings at the model's input size; the
network runs in the studio's live mode (official normalisation, no dropout),
as the live worker runs it (the inference copy of inference/nets/fold.py).
Prints figures only; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from inference.data.landscapes import render_scene, scene_seed  # noqa: E402
from inference.engine import load_net  # noqa: E402
from inference.nets.fold import inference_copies  # noqa: E402
from inference.pipelines.sketch import SketchOptions, finish, generate, prepare  # noqa: E402
from inference.registry import get_spec  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="landscape-paint")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="torch CPU threads")
    parser.add_argument("--batch", type=int, default=1, help="frames per forward pass")
    parser.add_argument("--frames", type=int, default=40, help="timed forward passes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = get_spec(args.model)
    plain = load_net(spec, device="cpu")
    net = inference_copies(plain).get("official", plain)
    scenes = [render_scene(scene_seed(5, "test", i), spec.input_size) for i in range(4)]
    drawings = [s.label_map if spec.options.get("kind") == "label_map" else s.sketch for s in scenes]
    options = SketchOptions(norm="official", dropout=False)

    def frame(i: int) -> tuple[float, float]:
        batch_images = [drawings[(i + k) % len(drawings)] for k in range(args.batch)]
        start = time.perf_counter()
        batch = torch.stack([prepare(image, spec) for image in batch_images])
        forward_start = time.perf_counter()
        out = generate(net, batch, options, [None] * args.batch)
        forward = time.perf_counter() - forward_start
        [finish(picture) for picture in out]
        return time.perf_counter() - start, forward

    for i in range(5):  # warm-up: allocator, oneDNN primitive caches
        frame(i)
    totals, forwards = zip(*(frame(i) for i in range(args.frames)))

    def ms(values, q):
        return statistics.quantiles([v * 1000 / args.batch for v in values], n=100)[q - 1]

    print(f"{spec.name} ({spec.arch} at {spec.input_size}x{spec.input_size}), {args.threads} thread(s), "
          f"batch {args.batch}, {args.frames} passes")
    print(f"  per frame, prepare + forward + finish: p50 {ms(totals, 50):.1f} ms, p95 {ms(totals, 95):.1f} ms")
    print(f"  per frame, forward only:               p50 {ms(forwards, 50):.1f} ms, p95 {ms(forwards, 95):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
