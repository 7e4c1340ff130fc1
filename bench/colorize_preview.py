"""What one live Colorize hint preview costs the live worker, in process: the preview and the palette.

    python bench/colorize_preview.py                      # random SIGGRAPH17 weights: the cost, not the colours
    python bench/colorize_preview.py --weights siggraph17-df00044c.pth --device cuda

Renders the photo (skimage's camera at --side px, the COLORIZE_PREVIEW_SIDE default) with
--hints hints through the pipeline a job uses (`render`), then the palette at one hint
(`suggest_colours`, a second forward pass), --repeat times after one warm-up, and prints the
median and the slowest of each. The network always sees 256 x 256, so the photo's side
changes only the colour conversion around it.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from PIL import Image  # noqa: E402

from inference import registry  # noqa: E402
from inference.engine import Nets  # noqa: E402
from inference.pipelines.colorize import ColorizeOptions, Hint, render, suggest_colours  # noqa: E402


def timed(function, repeat: int) -> list[float]:
    function()  # warm-up: allocations, kernel selection
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", type=Path, help="a SIGGRAPH17 file (default: random weights)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--side", type=int, default=384)
    parser.add_argument("--hints", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from skimage import data

    spec = registry.get_spec("siggraph17")
    net = registry.build_net(spec)
    if args.weights:
        net.load_state_dict(torch.load(args.weights, map_location="cpu", weights_only=True))
    nets = Nets(spec, net.eval().to(args.device))
    photo = Image.fromarray(data.camera()).resize((args.side, args.side * 3 // 4))
    hints = tuple(Hint((i + 0.5) / args.hints, 0.6, (200, 60 + 10 * i, 40)) for i in range(args.hints))

    preview = timed(lambda: render(photo, nets, ColorizeOptions(hints=hints)), args.repeat)
    palette = timed(lambda: suggest_colours(photo, nets, hints[0].x, hints[0].y, hints=hints[1:]), args.repeat)
    print(f"SIGGRAPH17 preview on {args.device}, photo {photo.size[0]}x{photo.size[1]}, {args.hints} hints, "
          f"torch threads {torch.get_num_threads()}")
    for name, times in (("preview (render)", preview), ("palette (suggest_colours)", palette)):
        print(f"  {name:<26} median {statistics.median(times):8.1f} ms   slowest {max(times):8.1f} ms")


if __name__ == "__main__":
    main()
