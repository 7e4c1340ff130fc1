"""Per-layer timings of unet_256's strided layers on this CPU: the plain layer against each CPU form.

    python bench/winograd_layers.py                # every 4x4 stride-2 layer of unet_256 at 256², batch 1
    python bench/winograd_layers.py --repeats 9 --only 12 13

Each row is one layer of the official unet_256 (ngf 64), channels_last
float32 as the CPU inference copies run it: the plain nn.Conv2d /
nn.ConvTranspose2d (oneDNN) and the forms of inference/nets/winograd.py:
the Winograd layers, F(m) = F(m x m, 2 x 2) (for a transposed layer its
shifted form) and P(m) (a transposed layer per output phase), and
"sub-pixel" (a transposed layer as one oneDNN 2 x 2 convolution at the
input's resolution). The candidates of a row run in alternation, so a busy moment
on the shared machine hits them alike; each cell is the median ms (and the
best) of ``--repeats`` calls. "rel err" is the largest difference from the
plain output relative to its largest magnitude (over the candidates), and
"picked" what :func:`~inference.nets.winograd.fastest_form` picks on this
machine when a CPU copy is made (None: the plain layer), from
the forms it finds worth timing at that side (``WORTH_TIMING``). F(1) is the
direct method in the same frame (four products of shifted windows, no
transforms).
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from inference.nets.winograd import cpu_form, fastest_form, fits  # noqa: E402

# (kind, C_in, C_out, input side) of unet_256 at 256 x 256.
LAYERS = [("down", 3, 64, 256), ("down", 64, 128, 128), ("down", 128, 256, 64), ("down", 256, 512, 32),
          ("down", 512, 512, 16), ("down", 512, 512, 8), ("down", 512, 512, 4),
          ("down", 512, 512, 2), ("up", 512, 512, 1), ("up", 1024, 512, 2), ("up", 1024, 512, 4),
          ("up", 1024, 512, 8), ("up", 1024, 256, 16), ("up", 512, 128, 32),
          ("up", 256, 64, 64), ("up", 128, 3, 128)]
FORMS = ("F(1)", "F(2)", "F(4)", "P(1)", "P(2)", "P(4)", "sub-pixel")


def candidates(plain: nn.Module, side: int) -> dict:
    """{form: module} of every CPU form that fits this layer (m divides the sides it tiles)."""
    return {form: cpu_form(plain, form) for form in FORMS if fits(plain, form, side)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--only", nargs="*", type=int, help="row indices (0-based) to run")
    args = parser.parse_args()
    print(f"{torch.get_num_threads()} threads, batch {args.batch}; ms per call, median (best)")
    print(f"{'layer':<22}{'plain':>14}" + "".join(f"{f:>14}" for f in FORMS) + f"{'rel err':>9}  picked")
    with torch.inference_mode():
        for index, (kind, cin, cout, side) in enumerate(LAYERS):
            if args.only and index not in args.only:
                continue
            layer = nn.Conv2d if kind == "down" else nn.ConvTranspose2d
            plain = layer(cin, cout, 4, 2, 1, bias=False).eval().to(memory_format=torch.channels_last)
            x = torch.randn(args.batch, cin, side, side).contiguous(memory_format=torch.channels_last)
            runs = {"plain": plain, **candidates(plain, side)}
            expected = plain(x)
            error = max(((run(x) - expected).abs().max() / expected.abs().max()).item() for run in runs.values())
            times = {name: [] for name in runs}
            for _ in range(args.repeats):
                for name, run in runs.items():
                    start = time.perf_counter()
                    run(x)
                    times[name].append(time.perf_counter() - start)
            cells = [f"{statistics.median(times[n]) * 1000:.2f} ({min(times[n]) * 1000:.2f})" if n in times else "-"
                     for n in ("plain",) + FORMS]
            name = f"{kind} {cin}->{cout} @{side}"
            print(f"{name:<22}" + "".join(f"{c:>14}" for c in cells) + f"{error:>9.0e}  {fastest_form(plain, side)}",
                  flush=True)


if __name__ == "__main__":
    main()
