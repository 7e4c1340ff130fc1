"""Time to stylise one photo: TransformerNet and AdaIN at the preview size, 1024² and 12 MP (tiled).

    python bench/stylize_forward.py                          # all cases, this machine's best device
    python bench/stylize_forward.py --device cpu --threads 2 --cases preview 1024
    python bench/stylize_forward.py --device cuda --nets transformer --cases 12mp --repeat 3

Each case runs the studio's pipeline function (``stylize_transformer`` /
``stylize_adain``: decode-free, from a Pillow photo to a Pillow result, with
the default tile size of 1024) on a procedural photo, with random weights
(speed does not depend on them). Every case runs in a fresh child process,
so the peak memory printed is that case's own: the process's peak resident
set on the CPU, ``torch.cuda.max_memory_allocated`` on a GPU. A warm-up call
(at most 1024², one tile) is not timed. Prints figures only; tests assert nothing
about time.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = {"preview": (256, 256), "1024": (1024, 1024), "12mp": (4000, 3000)}
NETS = ("transformer", "adain")


def _case(net_name: str, case: str, device_name: str, threads: int, repeat: int) -> dict:
    """Run one case here and return its figures."""
    import torch

    from inference.data.procedural import painting, photo
    from inference.nets.adain import AdaINDecoder
    from inference.nets.transformer_net import TransformerNet
    from inference.nets.vgg import NormalisedVGG19
    from inference.pipelines.stylize import StyleOptions, style_statistics, stylize_adain, stylize_transformer

    torch.set_num_threads(threads)
    device = torch.device(device_name)
    torch.manual_seed(0)
    width, height = CASES[case]
    picture = photo(1, (width, height))
    options = StyleOptions()
    if net_name == "transformer":
        net = TransformerNet().eval().requires_grad_(False).to(device)

        def render(image):
            return stylize_transformer(image, net, options)
    else:
        encoder = NormalisedVGG19().eval().requires_grad_(False).to(device)
        decoder = AdaINDecoder().eval().requires_grad_(False).to(device)
        stats = style_statistics(encoder, painting(2, (512, 512), "strokes"))

        def render(image):
            return stylize_adain(image, encoder, decoder, [(stats, 1.0)], options)

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize()

    # Warm-up (allocator, cuDNN / oneDNN primitive caches) at no more than
    # the tile size: a 12 MP warm-up would double the run for nothing.
    render(picture if max(width, height) <= 1024 else photo(1, (1024, 1024)))
    synchronise()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        render(picture)
        synchronise()
        times.append(time.perf_counter() - start)
    if device.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
        memory = "GPU peak allocated"
    else:
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
        memory = "peak RSS"
    return {"net": net_name, "case": case, "pixels": f"{width}x{height}", "ms": 1000 * min(times),
            "ms_median": 1000 * sorted(times)[len(times) // 2], "peak_mb": peak_mb, "memory": memory}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default: 2)")
    parser.add_argument("--nets", nargs="+", choices=NETS, default=list(NETS))
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per case (default: 1; the best is shown)")
    parser.add_argument("--child", nargs=2, metavar=("NET", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.device is None:
        import torch

        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.child:
        print(json.dumps(_case(*args.child, args.device, args.threads, args.repeat)))
        return 0

    import platform

    print(f"device {args.device}, {args.threads} CPU threads, {platform.processor() or platform.machine()}, "
          f"tile 1024, random weights, best of {args.repeat}")
    print(f"{'net':<12} {'case':<8} {'pixels':>10} {'ms/image':>10} {'peak MiB':>9}")
    for net_name in args.nets:
        for case in args.cases:
            child = subprocess.run(
                [sys.executable, __file__, "--device", args.device, "--threads", str(args.threads),
                 "--repeat", str(args.repeat), "--child", net_name, case],
                capture_output=True, text=True,
            )
            if child.returncode != 0:
                print(f"{net_name:<12} {case:<8} failed: {child.stderr.strip().splitlines()[-1:]}")
                continue
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"{r['net']:<12} {r['case']:<8} {r['pixels']:>10} {r['ms']:>10.0f} {r['peak_mb']:>9.0f}"
                  f"  ({r['memory']})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
