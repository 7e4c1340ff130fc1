"""Forward-pass throughput of the live networks: images/s and ms per image at several batch sizes.

    python bench/forward.py                       # every sketch model, batch 1, 8, 64, on the device at hand
    python bench/forward.py --models edges2shoes --batches 1 8 --device cuda
    python bench/forward.py --models edges2shoes --batches 1 --reference --repeats 9   # against the official code

What is timed is what the live worker runs (inference/live.py): the inference
copies of inference/nets/fold.py (BatchNorm folded for eval, fused per-image
statistics for the official mode, channels_last; on the CPU the strided
convolutions that win there as Winograd layers, inference/nets/winograd.py),
in a process whose freed memory glibc keeps (inference/live.py:
keep_freed_memory), half precision on CUDA
(--dtype), in the normalisation mode of --norm. ``--reference`` also times
the official code side by side (the plain UnetGenerator module, BatchNorm in
train mode for "official" and in eval mode for "eval", as the official
test.py runs it, float32, torch.no_grad) and prints the speed-up and the
largest 8-bit difference of the outputs.

On CUDA it also prints the fraction of the FLOP floor: an H100/H200 does about
790 TFLOP/s in bf16, so unet_256 at 256² (12.1 GFLOP per image) has a floor of
about 15 µs per image. FLOPs are counted from the convolutions actually run.
Random weights are used for models that are not installed: speed does not
depend on the weights.
"""
import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from inference import registry  # noqa: E402
from inference.engine import load_net, pick_device  # noqa: E402
from inference.live import keep_freed_memory  # noqa: E402
from inference.nets.fold import inference_copies  # noqa: E402
from inference.pipelines.sketch_options import picture_channels  # noqa: E402
from inference.pipelines.sketch import SketchOptions, generate  # noqa: E402

PEAK_FLOPS = 790e12  # bf16 dense, H100/H200 class


def conv_flops(net: torch.nn.Module, size: int, device, channels: int = 3) -> float:
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
        net(torch.zeros(1, channels, size, size, device=device, dtype=next(net.parameters()).dtype))
    for h in handles:
        h.remove()
    return total[0]


def input_channels(spec) -> int:
    """The drawing's channels and a style-conditioned model's colour planes (the bundled demos: 19 and 23)."""
    return int(spec.options.get("input_nc", 3))


def bench_input(spec, batch: int, device) -> torch.Tensor:
    """Random pictures in [-1, 1], and constant colour planes after them as the pipeline makes them."""
    x = torch.rand(batch, input_channels(spec), spec.input_size, spec.input_size, device=device) * 2 - 1
    picture = picture_channels(spec.options)
    x[:, picture:] = x[:, picture:, :1, :1].clone()
    return x


def plain_net(spec, device) -> torch.nn.Module:
    """The model's network as the registry loads it (random weights when it is not installed)."""
    return load_net(spec, device=device) if spec.installed else registry.build_net(spec).eval().to(device)


def live_net(net: torch.nn.Module, norm: str, device, size: int, dtype: str = "float16") -> torch.nn.Module:
    """The network the live worker runs for ``norm`` on images of side ``size`` (inference/live.py)."""
    live = inference_copies(net, cpu_size=None if device.type == "cuda" else size).get(norm, net)
    if device.type == "cuda":
        live = copy.deepcopy(live).to(dtype=getattr(torch, dtype), memory_format=torch.channels_last)
    return live


def official_net(net: torch.nn.Module, norm: str) -> torch.nn.Module:
    """The official code's module: float32, BatchNorm in train mode (batch statistics) for "official"."""
    reference = copy.deepcopy(net).float().eval()
    if norm == "official":
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.train()
    return reference


def _time(run, device, repeats: int) -> list[float]:
    for _ in range(2):
        run()
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return times


def bench(net, spec, batch: int, device, repeats: int, norm: str = "official") -> list[float]:
    x = bench_input(spec, batch, device)
    options = SketchOptions(norm=norm, dropout=False)
    return _time(lambda: generate(net, x, options, [None] * batch), device, repeats)


def best_throughput(name: str, batches, *, device=None, repeats: int = 5, norm: str = "official") -> dict:
    """{"images_s", "batch"}: the best images/s of the live network of ``name`` over ``batches``."""
    device = pick_device(device)
    spec = registry.get_spec(name)
    net = live_net(plain_net(spec, device), norm, device, spec.input_size)
    best = (0.0, 0)
    for batch in batches:
        per_image = statistics.median(bench(net, spec, batch, device, repeats, norm)) / batch
        best = max(best, (1 / per_image, batch))
    return {"images_s": round(best[0], 1), "batch": best[1]}


def reference_row(spec, net, device, repeats: int, norm: str) -> str:
    """The official code and the live network at batch 1, timed in alternation."""
    x = bench_input(spec, 1, device)
    official, live = official_net(net, norm), live_net(net, norm, device, spec.input_size)
    options = SketchOptions(norm=norm, dropout=False)
    with torch.no_grad():
        expected = official(x.clone())
    got = generate(live, x, options, [None])
    levels = ((got.float().cpu() - expected.float().cpu()).abs().max() * 127.5).item()
    runs = {"official": [], "live": []}
    with torch.no_grad():
        for _ in range(2):
            official(x.clone())
            generate(live, x, options, [None])
        for _ in range(repeats):
            for key, run in (("official", lambda: official(x.clone())), ("live", lambda: generate(live, x, options, [None]))):
                runs[key] += _time(run, device, 1)[-1:]
    a, b = statistics.median(runs["official"]), statistics.median(runs["live"])
    return (f"{spec.name:<22}{norm:>9}{a * 1000:>13.1f}{b * 1000:>10.1f}{a / b:>9.2f}×"
            f"{min(runs['official']) / min(runs['live']):>9.2f}×{levels:>10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="*", help="registry names (default: every sketch model)")
    parser.add_argument("--batches", nargs="*", type=int, default=[1, 8, 64])
    parser.add_argument("--device", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--norm", choices=["official", "eval", "both"], default="both")
    parser.add_argument("--dtype", default="float16", choices=["float16", "bfloat16"], help="precision on CUDA")
    parser.add_argument("--reference", action="store_true", help="also time the official code at batch 1")
    parser.add_argument("--json", action="store_true", help="print only {model: best images/s} as JSON")
    args = parser.parse_args()
    keep_freed_memory()  # as in the live worker; the official code, when timed, runs under it too

    device = pick_device(args.device)
    specs = [registry.get_spec(n) for n in args.models] if args.models else registry.specs_for_task("sketch")
    norms = ["official", "eval"] if args.norm == "both" else [args.norm]
    if args.json:
        print(json.dumps({spec.name: best_throughput(spec.name, args.batches, device=str(device), repeats=args.repeats,
                                                     norm=norms[0]) for spec in specs}))
        return
    print(f"device: {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{torch.get_num_threads()} CPU threads'})")
    print(f"{'model':<22}{'norm':>9}{'batch':>6}{'ms/image':>11}{'images/s':>11}{'GFLOP/img':>11}{'of floor':>10}")
    rows = []
    for spec in specs:
        net = plain_net(spec, device)
        flops = conv_flops(net, spec.input_size, device, input_channels(spec))
        for norm in norms:
            live = live_net(net, norm, device, spec.input_size, args.dtype)
            for batch in args.batches:
                times = bench(live, spec, batch, device, args.repeats, norm)
                per_image = statistics.median(times) / batch
                floor = flops / PEAK_FLOPS
                fraction = f"{floor / per_image:>9.2%}" if device.type == "cuda" else f"{'-':>9}"
                print(f"{spec.name:<22}{norm:>9}{batch:>6}{per_image * 1000:>11.2f}{1 / per_image:>11.1f}"
                      f"{flops / 1e9:>11.2f} {fraction}", flush=True)
            if args.reference:
                rows.append(reference_row(spec, net, device, args.repeats, norm))
    if rows:
        print("\nbatch 1 against the official code (median and best of alternating runs; max difference in 8-bit levels)")
        print(f"{'model':<22}{'norm':>9}{'official ms':>13}{'live ms':>10}{'median':>10}{'best':>10}{'levels':>10}")
        for row in rows:
            print(row)


if __name__ == "__main__":
    main()
