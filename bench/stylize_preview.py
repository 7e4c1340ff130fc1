"""Stylize preview round trip against a running studio: a slider dragged for a while.

    python manage.py studio &
    python bench/stylize_preview.py --model candy --seconds 20
    python bench/stylize_preview.py --model my-styles --weights 0.5,0.5

Sends the photo once, then a new blend every 1/R s (like the page: at most one
at a time and the newest when the answer arrives; protocol in webapp/studio/frames.py), and prints the preview
round trip p50/p95, the server time, and how many slider positions were
skipped because a newer one came first.
"""
import argparse
import asyncio
import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets  # noqa: E402
from PIL import Image  # noqa: E402

from webapp.studio.frames import PREVIEW_REPLY_IMAGE, pack, unpack  # noqa: E402


def photo_frame(side: int) -> bytes:
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).resize((side, side)).save(buf, "WEBP", quality=90)
    return pack({"type": "photo"}, buf.getvalue())


def percentile(values, q):
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws/stylize/")
    parser.add_argument("--model", default="candy")
    parser.add_argument("--weights", default="", help="comma-separated weights per style index (multi-style nets)")
    parser.add_argument("--rate", type=float, default=10, help="slider moves per second")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--side", type=int, default=384)
    args = parser.parse_args()

    weights = {str(i): float(w) for i, w in enumerate(args.weights.split(","))} if args.weights else {}
    rtt, server, skipped, errors = [], [], 0, []
    async with websockets.connect(args.url, max_size=2**22, origin="http://127.0.0.1") as ws:
        await ws.send(photo_frame(args.side))
        await ws.recv()
        seq, in_flight, pending, sent = 0, None, None, {}
        deadline = time.perf_counter() + args.seconds
        next_move = time.perf_counter()
        while time.perf_counter() < deadline:
            if time.perf_counter() >= next_move:
                next_move += 1 / args.rate
                seq += 1
                blend = {"model": args.model, "weights": weights, "strength": 0.3 + 0.7 * ((seq % 10) / 10)}
                if in_flight is None:
                    sent[seq] = time.perf_counter()
                    in_flight = seq
                    await ws.send(json.dumps({"type": "preview", "seq": seq, "blend": blend}))
                else:
                    skipped += pending is not None
                    pending = (seq, blend)
            try:
                message = await asyncio.wait_for(ws.recv(), timeout=max(0.001, next_move - time.perf_counter()))
            except asyncio.TimeoutError:
                continue
            if isinstance(message, str):
                errors.append(json.loads(message).get("message"))
                in_flight = None
                continue
            header, _ = unpack(message, accept=(PREVIEW_REPLY_IMAGE,))
            rtt.append((time.perf_counter() - sent.pop(header["seq"])) * 1000)
            server.append(header["server_ms"])
            in_flight = None
            if pending is not None:
                (pseq, blend), pending = pending, None
                sent[pseq] = time.perf_counter()
                in_flight = pseq
                await ws.send(json.dumps({"type": "preview", "seq": pseq, "blend": blend}))

    print(f"model {args.model}, photo {args.side}px, {args.rate:g} slider moves/s for {args.seconds:g} s")
    print(f"previews {len(rtt)}, slider positions skipped for newer ones {skipped}, errors {len(errors)}")
    if rtt:
        print(f"round trip ms p50 {percentile(rtt, 50):7.1f}  p95 {percentile(rtt, 95):7.1f}")
        print(f"server ms     p50 {percentile(server, 50):7.1f}  p95 {percentile(server, 95):7.1f}")
    if errors:
        print("first errors:", errors[:3])


if __name__ == "__main__":
    asyncio.run(main())
