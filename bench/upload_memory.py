"""Daphne's memory and responsiveness while people upload large photos (prints figures; no assertions).

Starts a real Daphne on a fresh data dir, sends REQUESTS concurrent uploads
of FILES photos of MEGAPIXELS each, and meanwhile times a small GET every
0.1 s. Prints Daphne's RSS before, at its peak and after, and the slowest GET.

--endpoint jobs (the default) posts Colorize jobs (POST /tools/colorize/jobs/,
a random-weight eccv16 checkpoint written for the run): the web process only
checks each file's header and stores it as it came; the jobs are queued in a
private redis-server (when one is on the PATH; otherwise the broker is
unreachable and each submission waits about a second for it), and no worker
runs, so nothing is decoded.
--endpoint styles posts style images (POST /tools/stylize/styles/), the one
upload the web process still decodes (one at a time, see
webapp/studio/uploads.py: decode).

    python bench/upload_memory.py [--endpoint jobs|styles] [--requests 20] [--files 1] [--megapixels 12]
"""
import argparse
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def photo(megapixels: float) -> bytes:
    side = int((megapixels * 1e6) ** 0.5)
    noise = np.random.default_rng(0).integers(0, 255, (side // 8, side // 8, 3), dtype=np.uint8)
    picture = Image.fromarray(noise).resize((side, side), Image.Resampling.BILINEAR)
    buf = io.BytesIO()
    picture.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def multipart(field: str, data: bytes, files: int, fields: dict) -> tuple[bytes, str]:
    boundary = "benchboundary"
    parts = [(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
             for name, value in fields.items()]
    for index in range(files):
        parts.append((f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="p{index}.jpg"\r\n'
                      "Content-Type: image/jpeg\r\n\r\n").encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


# What each endpoint takes: its page, its URL, the file field, and the other fields.
ENDPOINTS = {
    "jobs": ("/tools/colorize/", "/tools/colorize/jobs/", "images", {"model": "eccv16"}),
    "styles": ("/tools/stylize/", "/tools/stylize/styles/", "image", {}),
}


def install_colorizer(data_dir: str) -> None:
    """A random-weight eccv16 checkpoint: the jobs endpoint refuses a model that is not installed."""
    os.environ["ATELIER_DATA_DIR"] = data_dir
    import torch

    from inference import registry

    spec = registry.get_spec("eccv16")
    spec.path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(registry.build_net(spec).state_dict(), spec.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", choices=sorted(ENDPOINTS), default="jobs")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--files", type=int, default=1, help="photos in each request")
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()
    page, url, field, fields = ENDPOINTS[args.endpoint]

    data_dir = tempfile.mkdtemp(prefix="atelier-bench-")
    if args.endpoint == "jobs":
        sys.path.insert(0, str(REPO))
        install_colorizer(data_dir)
    redis_url, broker = "redis://127.0.0.1:1/0", None  # styles never touch Redis
    if args.endpoint == "jobs" and shutil.which("redis-server"):
        redis_port = free_port()
        broker = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no"], stdout=subprocess.DEVNULL)
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = dict(os.environ, ATELIER_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="webapp.settings",
               REDIS_URL=redis_url, UPLOAD_RATE="100000/h")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True)
    port = free_port()
    daphne = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "webapp.asgi:application"], cwd=REPO, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(base + page).read()
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        body, content_type = multipart(field, photo(args.megapixels), args.files, fields)
        print(f"{args.requests} concurrent {args.endpoint} uploads of {args.files} x {args.megapixels:g} MP JPEG "
              f"({len(body) / 1e6:.1f} MB each)")
        before = rss_mb(daphne.pid)
        peak = [before]
        statuses: list[int] = []
        slowest = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mb(daphne.pid))
                time.sleep(0.02)

        def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                try:
                    urllib.request.urlopen(base + "/", timeout=60).read()
                except OSError:  # timed out: counted as its 60 s
                    pass
                slowest[0] = max(slowest[0], time.perf_counter() - started)
                time.sleep(0.1)

        def send() -> None:
            request = urllib.request.Request(base + url, data=body, method="POST",
                                             headers={"Content-Type": content_type, "X-CSRFToken": csrf,
                                                      "Referer": base + page})
            try:
                statuses.append(opener.open(request, timeout=600).status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        helpers = [threading.Thread(target=sample), threading.Thread(target=probe)]
        senders = [threading.Thread(target=send) for _ in range(args.requests)]
        for thread in helpers + senders:
            thread.start()
        started = time.perf_counter()
        for thread in senders:
            thread.join()
        elapsed = time.perf_counter() - started
        done.set()
        for thread in helpers:
            thread.join()
        after = rss_mb(daphne.pid)
        print(f"statuses: {sorted(set(statuses))} in {elapsed:.1f} s")
        print(f"Daphne RSS: before {before:.0f} MB, peak {peak[0]:.0f} MB (+{peak[0] - before:.0f}), "
              f"after {after:.0f} MB")
        print(f"slowest GET / during the uploads: {slowest[0] * 1000:.0f} ms")
    finally:
        daphne.terminate()
        daphne.wait(10)
        if broker is not None:
            broker.terminate()
            broker.wait(10)


if __name__ == "__main__":
    main()
