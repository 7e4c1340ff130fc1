"""N WebSocket clients drawing at R frames/s against a studio, and where each frame's time goes.

    python manage.py studio &                                  # or any running deployment
    python bench/sketch_load.py --clients 8 --fps 15 --seconds 20
    python bench/sketch_load.py --start --live-workers 1 2 4 --clients 16   # scale-out: a studio per count
    python bench/sketch_load.py --start --model edges2shoes --random-weights --clients 16 64

Each client behaves like the page (static/js/stream.js; protocol in
webapp/studio/frames.py): a new drawing every 1/R s, at most one frame in
flight, the newest drawing sent when the answer arrives. Prints round-trip
p50/p95/p99, the server's breakdown of a frame (queue, decode, convert,
batch wait, forward, encode, reply; the rest of the round trip is the
WebSocket and the task's way in), frames dropped as stale, the batch sizes
the worker ran, the live workers' memory, the GPU's utilisation when
nvidia-smi is there, and the total rendered frames/s beside the best
forward-only throughput of the same model (bench/forward.py, the network the
live worker runs, measured in the same run while the studio is idle, before
and after each load: the better of the two counts). With ``--start`` it also
prints the CPU time each process of the studio (live worker, Daphne, Redis,
batch worker) and the load clients spent per rendered frame: on a CPU they
all share the cores the forward pass runs on.

``--start`` starts ``manage.py studio`` itself for each ``--live-workers``
count (a fresh data directory, a free port, its own embedded Redis) and
stops it afterwards; ``--random-weights`` installs random weights for a model
that is not installed there (speed does not depend on the weights).
"""
import argparse
import asyncio
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from webapp.studio.frames import SKETCH_REPLY_IMAGE, pack, unpack  # noqa: E402

STAGES = ("queue", "decode", "convert", "wait", "forward", "encode", "reply")


def drawings(count: int, size: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    frames = []
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    for _ in range(count):
        points = [(rng.randrange(size), rng.randrange(size)) for _ in range(3)]
        draw.line(points, fill="black", width=rng.choice([2, 4, 8]))
        buf = io.BytesIO()
        image.save(buf, "PNG")
        frames.append(buf.getvalue())
    return frames


def origin_of(url: str) -> str:
    """The page origin the studio accepts for a socket URL (same host and port, webapp/socket_guards.py)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{'https' if parts.scheme == 'wss' else 'http'}://{parts.netloc}"


def live_worker_rss_mb(parent: int | None = None) -> float:
    """Resident memory of the live Celery worker(s) on this machine (children of ``parent`` if given), from /proc."""
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            if parent is not None and int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) != parent:
                continue
            if b"celery" in cmdline and b"-Q live" in cmdline:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _role(cmdline: bytes) -> str:
    if b"celery" in cmdline:
        return "live worker" if b"-Q live" in cmdline else "batch worker"
    if b"daphne" in cmdline:
        return "Daphne"
    return "Redis" if b"redis" in cmdline else "other"


def studio_cpu_seconds(root: int | None) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each kind of process under ``root`` (the started studio), from /proc."""
    if root is None:
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    parents, usage = {}, {}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(proc.name)] = int(fields[1])
            usage[int(proc.name)] = ((int(fields[11]) + int(fields[12])) / tick,
                                   (proc / "cmdline").read_bytes().replace(b"\0", b" "))
        except (OSError, ValueError, IndexError):
            continue
    totals: dict[str, float] = {}
    for pid, (seconds, cmdline) in usage.items():
        ancestor = pid
        while ancestor not in (root, 0, 1) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root and pid != root:
            totals[_role(cmdline)] = totals.get(_role(cmdline), 0.0) + seconds
    return totals


class GpuSampler:
    """Mean GPU utilisation (nvidia-smi, every 0.2 s) while the load runs; None without nvidia-smi."""

    def __init__(self):
        self.samples: list[float] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True) if shutil.which("nvidia-smi") else None

    def _run(self):
        while not self.stopping.wait(0.2):
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout.split()
                self.samples.append(statistics.mean(float(v) for v in out))
            except (OSError, ValueError, subprocess.SubprocessError, statistics.StatisticsError):
                pass

    def __enter__(self):
        if self.thread:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()

    @property
    def mean(self) -> float | None:
        return statistics.mean(self.samples) if self.samples else None


async def client(url: str, model: str, fps: float, seconds: float, frames: list[bytes], stats: dict) -> None:
    async with websockets.connect(url, max_size=2**21, origin=origin_of(url)) as ws:
        await ws.send(json.dumps({"type": "config", "model": model, "dropout": False}))
        json.loads(await ws.recv())
        seq, in_flight, pending, sent_at = 0, None, None, {}
        deadline = time.perf_counter() + seconds
        next_draw = time.perf_counter()

        async def send(payload):
            nonlocal seq, in_flight
            seq += 1
            sent_at[seq] = time.perf_counter()
            in_flight = seq
            await ws.send(pack({"seq": seq}, payload))

        while time.perf_counter() < deadline:
            now = time.perf_counter()
            if now >= next_draw:
                next_draw += 1 / fps
                payload = frames[seq % len(frames)]
                stats["drawn"] += 1
                if in_flight is None:
                    await send(payload)
                else:
                    if pending is not None:
                        stats["client_skipped"] += 1
                    pending = payload
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=max(0.001, next_draw - time.perf_counter()))
            except asyncio.TimeoutError:
                continue
            if isinstance(message, str):
                stats["errors"].append(json.loads(message).get("message"))
                in_flight = None
                continue
            header, _ = unpack(message, accept=(SKETCH_REPLY_IMAGE,))
            rtt = (time.perf_counter() - sent_at.pop(header["seq"])) * 1000
            stats["rtt"].append(rtt)
            stats["server"].append(header["server_ms"])
            ms = header.get("ms") or {}
            for stage in STAGES:
                if stage in ms:  # a studio from before the breakdown sends none
                    stats["stages"].setdefault(stage, []).append(ms[stage])
            if "server" in ms:
                stats["stages"].setdefault("websocket", []).append(max(0.0, rtt - ms["server"]))
            stats["batches"][header["batch"]] += 1
            stats["server_dropped"][id(ws)] = header["dropped"]
            in_flight = None
            if pending is not None:
                payload, pending = pending, None
                await send(payload)


async def first_frame(url: str, model: str, frame: bytes, timeout: float = 120) -> float:
    """One frame answered before timing starts (the model loaded and warm); its round trip in s."""
    async with websockets.connect(url, max_size=2**21, origin=origin_of(url)) as ws:
        await ws.send(json.dumps({"type": "config", "model": model, "dropout": False}))
        await ws.recv()
        started = time.perf_counter()
        for seq in range(1, 100):
            await ws.send(pack({"seq": seq}, frame))
            message = await asyncio.wait_for(ws.recv(), timeout)
            if not isinstance(message, str):
                return time.perf_counter() - started
    raise RuntimeError("no frame was rendered")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else float("nan"))


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


async def run_load(url: str, model: str, clients: int, fps: float, seconds: float, size: int,
                   parent: int | None = None) -> dict:
    frames = drawings(30, size, seed=0)
    stats = {"rtt": [], "server": [], "stages": {}, "batches": Counter(), "drawn": 0, "client_skipped": 0,
             "errors": [], "server_dropped": {}}
    first = await first_frame(url, model, frames[0])
    memory_before = live_worker_rss_mb(parent)
    cpu_before, clients_before = studio_cpu_seconds(parent), time.process_time()
    with GpuSampler() as gpu:
        await asyncio.gather(*(client(url, model, fps, seconds, frames, stats) for _ in range(clients)))
    cpu = {role: used - cpu_before.get(role, 0.0) for role, used in studio_cpu_seconds(parent).items()}
    cpu["load clients"] = time.process_time() - clients_before
    stats.update(first_s=first, memory_before=memory_before, memory_after=live_worker_rss_mb(parent), gpu=gpu.mean,
                 load=load_average(), cpu=cpu)
    return stats


def report(stats: dict, *, clients: int, fps: float, seconds: float, model: str, forward: dict | None,
           workers: str) -> dict:
    rtt, server = stats["rtt"], stats["server"]
    total_fps = len(rtt) / seconds
    print(f"\n{clients} clients × {fps:g} frames/s for {seconds:g} s, model {model}, {workers}, "
          f"load average {stats['load']}")
    print(f"frames drawn {stats['drawn']}, rendered {len(rtt)}, replaced before sending {stats['client_skipped']}, "
          f"dropped as stale on the server {sum(stats['server_dropped'].values())}, errors {len(stats['errors'])}")
    row = {"clients": clients, "workers": workers, "total_fps": round(total_fps, 1), "load": stats["load"]}
    if rtt:
        print(f"round trip ms   p50 {percentile(rtt, 50):7.1f}  p95 {percentile(rtt, 95):7.1f}  p99 {percentile(rtt, 99):7.1f}")
        print(f"server ms/frame p50 {percentile(server, 50):7.1f}  p95 {percentile(server, 95):7.1f}  p99 {percentile(server, 99):7.1f}")
        stages = stats["stages"]
        print("where a frame's time goes, ms (mean / p95): " + ", ".join(
            f"{stage} {statistics.mean(values):.1f}/{percentile(values, 95):.1f}"
            for stage, values in stages.items() if values))
        print(f"rendered frames/s: {total_fps:.1f} in total, {total_fps / clients:.1f} per client")
        print("batch sizes seen: " + ", ".join(f"{size}×{n}" for size, n in sorted(stats["batches"].items())))
        # Every process shares the cores, so this is what each rendered frame costs the machine.
        print("CPU ms per rendered frame: " + ", ".join(
            f"{role} {used * 1000 / len(rtt):.1f}" for role, used in sorted(stats["cpu"].items(), key=lambda kv: -kv[1])
            if used > 0))
        row.update(p50=round(percentile(rtt, 50), 1), p95=round(percentile(rtt, 95), 1),
                   per_client=round(total_fps / clients, 1))
    if forward:
        share = total_fps / forward["images_s"] if forward["images_s"] else float("nan")
        print(f"forward-only best {forward['images_s']:.1f} images/s (batch {forward['batch']}): "
              f"the live path delivers {share:.0%} of it")
        row["of_forward"] = round(share, 3)
    print(f"first frame after choosing the model: {stats['first_s']:.2f} s (before the timed load)")
    if stats["gpu"] is not None:
        print(f"GPU utilisation during the load: {stats['gpu']:.0f} %")
        row["gpu"] = round(stats["gpu"])
    print(f"live worker memory: {stats['memory_before']:.0f} MB before, {stats['memory_after']:.0f} MB after")
    if stats["errors"]:
        print("first errors:", stats["errors"][:3])
    return row


def forward_only(model: str, batches: list[int], env: dict) -> dict | None:
    """bench/forward.py's best throughput of the live network, in a process of its own."""
    command = [sys.executable, str(ROOT / "bench" / "forward.py"), "--models", model, "--json", "--norm", "official",
               "--batches", *map(str, batches)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])[model]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Studio:
    """`manage.py studio` in a fresh data directory on a free port, with N live workers."""

    def __init__(self, live_workers: int, env: dict, web_processes: int = 0):
        self.port = _free_port()
        self.env = env
        self.log = open(Path(env["ATELIER_DATA_DIR"]) / f"studio-{live_workers}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "studio", "--no-fetch", "--port", str(self.port),
             "--live-workers", str(live_workers), "--web-processes", str(web_processes)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2)
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(Path(self.log.name).read_text()[-3000:])
                time.sleep(0.5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/sketch/"

    def layout(self) -> str:
        """"2 live × 1 thread, 1 web": its live workers, their torch threads and its Daphnes, from its log."""
        found = re.search(r"Live workers: (\d+) on the \w+, torch threads each: (\d+)\. Web processes: (\d+)",
                          Path(self.log.name).read_text())
        return f"{found[1]} live × {found[2]} thread(s), {found[3]} web" if found else "studio"

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(60)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


def install_random_weights(model: str, env: dict) -> None:
    """Random weights for ``model`` in the started studio's models directory, unless it has some."""
    code = ("import torch; from inference import registry; s = registry.get_spec(%r); "
            "s.path.parent.mkdir(parents=True, exist_ok=True); "
            "s.installed or torch.save(registry.build_net(s).state_dict(), s.path)") % model
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws/sketch/")
    parser.add_argument("--model", default="landscape-sketch")
    parser.add_argument("--clients", type=int, nargs="+", default=[4])
    parser.add_argument("--fps", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--start", action="store_true", help="start a studio for each --live-workers count")
    parser.add_argument("--live-workers", type=int, nargs="+", default=[0],
                        help="with --start: live worker counts, one studio each (0: the studio's own choice)")
    parser.add_argument("--web-processes", type=int, default=0,
                        help="with --start: Daphne processes of each studio (0: the studio's own choice)")
    parser.add_argument("--random-weights", action="store_true", help="with --start: random weights if not installed")
    parser.add_argument("--forward-batches", type=int, nargs="*", default=[1, 4, 8, 16],
                        help="batch sizes of the forward-only measurement (none: skip it)")
    parser.add_argument("--json", help="also write the table rows to this file")
    args = parser.parse_args()

    env = os.environ.copy()
    data = None
    if args.start:
        data = tempfile.mkdtemp(prefix="sketch-load-")
        env.update(ATELIER_DATA_DIR=data, LIVE_WARM_MODELS=args.model)
        env.pop("REDIS_URL", None)
        if args.random_weights:
            install_random_weights(args.model, env)
    rows = []
    try:
        for workers in (args.live_workers if args.start else [None]):
            studio = Studio(workers, env, args.web_processes) if args.start else None
            try:
                url = studio.url if studio else args.url
                label = studio.layout() if studio else "running studio"
                # The workers up and the model warm first: a worker still starting would slow the forward-only figure.
                asyncio.run(first_frame(url, args.model, drawings(1, args.size, seed=1)[0]))
                forward = forward_only(args.model, args.forward_batches, env) if args.forward_batches else None
                for clients in args.clients:
                    stats = asyncio.run(run_load(url, args.model, clients, args.fps, args.seconds, args.size,
                                                 studio.process.pid if studio else None))
                    # Forward-only again right after each load: the share is taken of the better of the two
                    # (the best throughput), so a busy minute before the load cannot flatter the live path.
                    if forward:
                        after = forward_only(args.model, args.forward_batches, env) or forward
                        print(f"forward-only: {forward['images_s']:.1f} images/s before the load, "
                              f"{after['images_s']:.1f} after")
                        forward = max(forward, after, key=lambda f: f["images_s"])
                    rows.append(report(stats, clients=clients, fps=args.fps, seconds=args.seconds, model=args.model,
                                       forward=forward, workers=label))
            finally:
                if studio:
                    studio.stop()
    finally:
        if data:
            shutil.rmtree(data, ignore_errors=True)
    if len(rows) > 1:
        print(f"\n{'studio':<32}{'clients':>8}{'frames/s':>10}{'per client':>11}{'p50 ms':>8}{'p95 ms':>8}"
              f"{'of fwd':>8}  load")
        for row in rows:
            share = f"{row['of_forward']:.0%}" if "of_forward" in row else "-"
            print(f"{row['workers']:<32}{row['clients']:>8}{row['total_fps']:>10.1f}{row.get('per_client', 0):>11.1f}"
                  f"{row.get('p50', float('nan')):>8.1f}{row.get('p95', float('nan')):>8.1f}{share:>8}  {row['load']}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
