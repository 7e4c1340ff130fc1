"""Per-layer timings behind inference/nets/winograd.py's choice: plain op against Winograd F(2, 2) and F(4, 2).

    python bench/winograd_layers.py                # every 4x4 stride-2 layer of unet_256 at 256², batch 1
    python bench/winograd_layers.py --repeats 9 --batch 2

Each row is one layer of the official unet_256 (ngf 64), channels_last
float32 as the CPU inference copies run it: the plain nn.Conv2d /
nn.ConvTranspose2d (oneDNN) and the Winograd layers, best ms of
``--repeats`` runs after a warm-up, and the largest difference from the
plain output relative to its largest magnitude (of the last m that fits).
F(1, 2) is the direct method in the same frame (four products of the
shifted windows, no transforms): it pays at tiny sizes, where oneDNN's
transposed convolution spends its time on the weights rather than the sums.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from inference.nets.winograd import WinogradConv2d, WinogradConvTranspose2d, winograd_fits  # noqa: E402

# (kind, C_in, C_out, input side) of unet_256 at 256 x 256.
LAYERS = [("down", 3, 64, 256), ("down", 64, 128, 128), ("down", 128, 256, 64), ("down", 256, 512, 32),
          ("down", 512, 512, 16), ("down", 512, 512, 8), ("down", 512, 512, 4),
          ("down", 512, 512, 2), ("up", 512, 512, 1), ("up", 1024, 512, 2), ("up", 1024, 512, 4), ("up", 1024, 512, 8), ("up", 1024, 256, 16), ("up", 512, 128, 32),
          ("up", 256, 64, 64), ("up", 128, 3, 128)]


def median_ms(run, repeats: int) -> float:
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) * 1000  # best of: the machine is shared, the minimum is the least disturbed run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--only", nargs="*", type=int, help="row indices to run")
    args = parser.parse_args()
    print(f"{torch.get_num_threads()} threads, batch {args.batch}")
    print("ms per call; F(m): Winograd F(m x m, 2 x 2) (up: the shifted form), P(m): up, one per output phase")
    print(f"{'layer':<24}{'plain':>8}" + "".join(f"{h:>8}" for h in ("F(1)", "F(2)", "F(4)", "P(1)", "P(2)", "P(4)"))
          + f"{'rel err':>9}{'chosen':>10}")
    with torch.inference_mode():
        for index, (kind, cin, cout, side) in enumerate(LAYERS):
            if args.only and index not in args.only:
                continue
            if kind == "down":
                plain = nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
                build = WinogradConv2d
            else:
                plain = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False)
                build = WinogradConvTranspose2d
            plain = plain.eval().to(memory_format=torch.channels_last)
            x = torch.randn(args.batch, cin, side, side).contiguous(memory_format=torch.channels_last)
            expected = plain(x)
            cells = [median_ms(lambda: plain(x), args.repeats)]
            error = float("nan")
            for m, phases in ((1, False), (2, False), (4, False), (1, True), (2, True), (4, True)):
                if (kind == "down" and (phases or (side // 2) % m)) or (phases and side % m):
                    cells.append(float("nan"))
                    continue
                fast = build(plain, m, phases=True) if phases else build(plain, m)
                cells.append(median_ms(lambda: fast(x), args.repeats))
                error = ((fast(x) - expected).abs().max() / expected.abs().max()).item()
            chosen = winograd_fits(plain, side)
            name = f"{kind} {cin}->{cout} @{side}"
            print(f"{name:<24}" + "".join(f"{c:>8.2f}" for c in cells) + f"{error:>9.0e}{str(chosen):>10}", flush=True)


if __name__ == "__main__":
    main()
