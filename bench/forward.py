"""Forward-pass throughput of the live networks: images/s and ms per image at several batch sizes.

    python bench/forward.py                       # every sketch model, batch 1, 8, 64, on the device at hand
    python bench/forward.py --models edges2shoes --batches 1 8 --device cuda

On CUDA it also prints the fraction of the FLOP floor: an H100/H200 does about
790 TFLOP/s in bf16, so unet_256 at 256² (12.1 GFLOP per image) has a floor of
about 15 µs per image. FLOPs are counted from the convolutions actually run.
Random weights are used for models that are not installed: speed does not
depend on the weights.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from inference import registry  # noqa: E402
from inference.engine import load_net, pick_device  # noqa: E402
from inference.pipelines.sketch import SketchOptions, generate  # noqa: E402

PEAK_FLOPS = 790e12  # bf16 dense, H100/H200 class


def conv_flops(net: torch.nn.Module, size: int, device) -> float:
    """FLOPs of one image's forward pass (2 × multiply-adds of every convolution)."""
    total = [0.0]

    def hook(module, inputs, output):
        kernel = module.weight.shape[2] * module.weight.shape[3]
        if isinstance(module, torch.nn.ConvTranspose2d):
            macs = inputs[0].numel() // inputs[0].shape[0] * module.out_channels // module.groups * kernel
        else:
            macs = output.numel() // output.shape[0] * module.in_channels // module.groups * kernel
        total[0] += 2 * macs

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.inference_mode():
        net(torch.zeros(1, 3, size, size, device=device, dtype=next(net.parameters()).dtype))
    for h in handles:
        h.remove()
    return total[0]


def bench(net, spec, batch: int, device, repeats: int) -> list[float]:
    x = torch.rand(batch, 3, spec.input_size, spec.input_size, device=device) * 2 - 1
    options = SketchOptions(dropout=False)
    seeds = [None] * batch
    for _ in range(2):
        generate(net, x, options, seeds)
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        generate(net, x, options, seeds)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="registry names (default: every sketch model)")
    parser.add_argument("--batches", nargs="*", type=int, default=[1, 8, 64])
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--half", action="store_true", help="half precision (CUDA)")
    args = parser.parse_args()

    device = pick_device(args.device)
    specs = [registry.get_spec(n) for n in args.models] if args.models else registry.specs_for_task("sketch")
    print(f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{torch.get_num_threads()} CPU threads'})")
    print(f"{'model':<22}{'batch':>6}{'ms/image':>11}{'images/s':>11}{'GFLOP/img':>11}{'of floor':>10}")
    for spec in specs:
        net = load_net(spec, device=device) if spec.installed else registry.build_net(spec).eval().to(device)
        if args.half:
            net = net.half()
        flops = conv_flops(net, spec.input_size, device)
        for batch in args.batches:
            times = bench(net, spec, batch, device, args.repeats)
            per_image = statistics.median(times) / batch
            floor = flops / PEAK_FLOPS
            fraction = f"{floor / per_image:>9.2%}" if device.type == "cuda" else f"{'-':>9}"
            print(f"{spec.name:<22}{batch:>6}{per_image * 1000:>11.2f}{1 / per_image:>11.1f}{flops / 1e9:>11.2f} {fraction}")


if __name__ == "__main__":
    main()
