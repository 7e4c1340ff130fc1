"""Daphne's memory and responsiveness while people upload large photos (prints figures; no assertions).

Starts a real Daphne on a fresh data dir, sends REQUESTS concurrent style
uploads (POST /tools/stylize/styles/: decoded in the web process, no broker
needed) of a MEGAPIXELS photo each, and meanwhile times a small GET every
0.1 s. Prints Daphne's RSS before, at its peak and after, and the slowest GET.

    python bench/upload_memory.py [--requests 20] [--megapixels 12]
"""
import argparse
import io
import os
import re
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


def multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "benchboundary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--megapixels", type=float, default=12.0)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="atelier-bench-")
    env = dict(os.environ, ATELIER_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="webapp.settings",
               REDIS_URL="redis://127.0.0.1:1/0")  # uploads of styles never touch Redis
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
        opener.open(base + "/tools/stylize/").read()
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        body, content_type = multipart(photo(args.megapixels))
        print(f"{args.requests} concurrent uploads of a {args.megapixels:g} MP JPEG ({len(body) / 1e6:.1f} MB)")
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
                urllib.request.urlopen(base + "/", timeout=60).read()
                slowest[0] = max(slowest[0], time.perf_counter() - started)
                time.sleep(0.1)

        def send() -> None:
            request = urllib.request.Request(base + "/tools/stylize/styles/", data=body, method="POST",
                                             headers={"Content-Type": content_type, "X-CSRFToken": csrf,
                                                      "Referer": base + "/tools/stylize/"})
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


if __name__ == "__main__":
    main()
