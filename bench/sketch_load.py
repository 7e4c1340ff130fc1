"""N WebSocket clients drawing at R frames/s against a running studio.

    python manage.py studio &                                  # or any running deployment
    python bench/sketch_load.py --clients 8 --fps 15 --seconds 20

Each client behaves like the page (static/js/stream.js; protocol in
webapp/studio/frames.py): a new drawing every 1/R s, at most one frame in
flight, the newest drawing sent when the answer arrives. Prints round-trip
p50/p95/p99, server time per frame, frames dropped as stale, the batch sizes
the worker ran, and the live worker's memory before and after.
"""
import argparse
import asyncio
import io
import json
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from webapp.studio.frames import SKETCH_REPLY_IMAGE, pack, unpack  # noqa: E402


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


def live_worker_rss_mb() -> float:
    """Resident memory of the live Celery worker(s) on this machine, from /proc."""
    total = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
            if b"celery" in cmdline and b"-Q live" in cmdline:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def client(url: str, model: str, fps: float, seconds: float, frames: list[bytes], stats: dict) -> None:
    async with websockets.connect(url, max_size=2**21, origin="http://127.0.0.1") as ws:
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
            stats["rtt"].append((time.perf_counter() - sent_at.pop(header["seq"])) * 1000)
            stats["server"].append(header["server_ms"])
            stats["batches"][header["batch"]] += 1
            stats["server_dropped"][id(ws)] = header["dropped"]
            in_flight = None
            if pending is not None:
                payload, pending = pending, None
                await send(payload)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else float("nan"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws/sketch/")
    parser.add_argument("--model", default="landscape-sketch")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--fps", type=float, default=15)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()

    frames = drawings(30, args.size, seed=0)
    stats = {"rtt": [], "server": [], "batches": Counter(), "drawn": 0, "client_skipped": 0, "errors": [],
             "server_dropped": {}}
    memory_before = live_worker_rss_mb()
    await asyncio.gather(*(client(args.url, args.model, args.fps, args.seconds, frames, stats)
                           for _ in range(args.clients)))
    memory_after = live_worker_rss_mb()

    rtt, server = stats["rtt"], stats["server"]
    print(f"{args.clients} clients × {args.fps:g} frames/s for {args.seconds:g} s, model {args.model}")
    print(f"frames drawn {stats['drawn']}, rendered {len(rtt)}, replaced before sending {stats['client_skipped']}, "
          f"dropped as stale on the server {sum(stats['server_dropped'].values())}, errors {len(stats['errors'])}")
    if rtt:
        print(f"round trip ms   p50 {percentile(rtt, 50):7.1f}  p95 {percentile(rtt, 95):7.1f}  p99 {percentile(rtt, 99):7.1f}")
        print(f"server ms/frame p50 {percentile(server, 50):7.1f}  p95 {percentile(server, 95):7.1f}  p99 {percentile(server, 99):7.1f}")
        print(f"rendered frames/s per client {len(rtt) / args.seconds / args.clients:.1f}")
        print("batch sizes seen: " + ", ".join(f"{size}×{n}" for size, n in sorted(stats["batches"].items())))
    print(f"live worker memory: {memory_before:.0f} MB before, {memory_after:.0f} MB after")
    if stats["errors"]:
        print("first errors:", stats["errors"][:3])


if __name__ == "__main__":
    asyncio.run(main())
