"""Upscale timings: PRSR sampling (naive and incremental) and RRDBNet milliseconds per input megapixel.

    python bench/upscale.py                                  # PRSR 1 and 8 samples of 32x32, RRDBNet x4 on 128x128
    python bench/upscale.py --samples 8 --naive-rows 32      # the naive sampler over the whole image (minutes)
    python bench/upscale.py --random --prior-layers 20 --prior-features 48 --skip-rrdb

PRSR runs the bundled demo model (prsr-faces) when it is installed, else (or
with --random) random weights at the given sizes (the time does not depend
on the weights), on the CPU with the torch threads asked for. The naive sampler
runs the whole prior once per sub-pixel; its time per row is constant, so by
default it is timed on the first ``--naive-rows`` rows and scaled to the
whole image (printed as "extrapolated"). RRDBNet (23 blocks, 64 features,
random weights) runs untiled on ``--rrdb-size`` squared inputs, fp32 on the
CPU, fp16 on CUDA when there is a GPU. Prints figures only.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference.catalog.upscale import PRSR_DEMO  # noqa: E402
from inference.nets.prsr import PixelRecursiveSR  # noqa: E402
from inference.nets.rrdbnet import RRDBNet  # noqa: E402


class _RowsDone(Exception):
    pass


def time_prsr(model: PixelRecursiveSR, samples: int, size: int, naive_rows: int) -> tuple[float, float, bool]:
    """Seconds for ``samples`` samples of size x size: (fast, naive, naive_extrapolated)."""
    low = torch.randint(0, 256, (1, 3, size // model.scale, size // model.scale))
    seeds = list(range(samples))
    start = time.perf_counter()
    model.sample(low, seeds, temperature=1.0)
    fast = time.perf_counter() - start

    def stop_after(done: int, rows: int) -> None:
        if done >= naive_rows and done < rows:
            raise _RowsDone

    start = time.perf_counter()
    try:
        model.sample_naive(low, seeds, temperature=1.0, on_row=stop_after)
        extrapolated = False
    except _RowsDone:
        extrapolated = True
    naive = time.perf_counter() - start
    if extrapolated:
        naive *= size / naive_rows
    return fast, naive, extrapolated


def time_rrdb(size: int, device: str, repeat: int) -> float:
    """Milliseconds per input megapixel of the full-size RRDBNet x4."""
    net = RRDBNet().eval().to(device)
    x = torch.rand(1, 3, size, size, device=device)
    if device == "cuda":
        net, x = net.half(), x.half()
    with torch.inference_mode():
        net(x)
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeat):
            net(x)
        if device == "cuda":
            torch.cuda.synchronize()
    seconds = (time.perf_counter() - start) / repeat
    return seconds * 1000.0 / (size * size / 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default: 1)")
    parser.add_argument("--size", type=int, default=32, help="PRSR output side (default: 32)")
    parser.add_argument("--samples", type=int, nargs="+", default=[1, 8], help="batch sizes (default: 1 8)")
    parser.add_argument("--naive-rows", type=int, default=2, help="rows the naive sampler is timed on (default: 2)")
    parser.add_argument("--random", action="store_true", help="random PRSR weights at the sizes below, "
                        "even when the bundled model is installed")
    parser.add_argument("--prior-features", type=int, default=PRSR_DEMO["prior_features"])
    parser.add_argument("--prior-layers", type=int, default=PRSR_DEMO["prior_layers"])
    parser.add_argument("--cond-features", type=int, default=PRSR_DEMO["cond_features"])
    parser.add_argument("--cond-blocks", type=int, default=PRSR_DEMO["cond_blocks"])
    parser.add_argument("--rrdb-size", type=int, default=128, help="RRDBNet input side (default: 128)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-rrdb", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from inference.registry import get_spec

    spec = get_spec("prsr-faces")
    if spec.installed and not args.random:
        from inference.engine import load_net

        model = load_net(spec, device="cpu")
        source = f"the bundled {spec.name} model"
        sizes = {k: spec.options[k] for k in ("prior_layers", "prior_features", "cond_blocks", "cond_features")}
    else:
        sizes = {"prior_layers": args.prior_layers, "prior_features": args.prior_features,
                 "cond_blocks": args.cond_blocks, "cond_features": args.cond_features}
        model = PixelRecursiveSR(scale=4, **sizes).eval()
        source = "random weights"
    print(f"PRSR {args.size}x{args.size} ({source}), prior {sizes['prior_layers']} layers x "
          f"{sizes['prior_features']} features, conditioning {sizes['cond_blocks']} blocks x "
          f"{sizes['cond_features']}, {args.threads} thread(s)")
    for samples in args.samples:
        fast, naive, extrapolated = time_prsr(model, samples, args.size, args.naive_rows)
        note = f" (extrapolated from {args.naive_rows} rows)" if extrapolated else ""
        print(f"  {samples} sample(s): fast {fast:.2f} s, naive {naive:.1f} s{note}, speed-up {naive / fast:.0f}x")
    if not args.skip_rrdb:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        for device in devices:
            ms = time_rrdb(args.rrdb_size, device, args.repeat)
            precision = "fp16" if device == "cuda" else "fp32"
            print(f"RRDBNet x4 (23 blocks, 64 features) on {device} {precision}: {ms:.0f} ms per input megapixel "
                  f"({args.rrdb_size}x{args.rrdb_size} input)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
