"""CPU a web process spends receiving one live answer from the `live` channel layer, by answer size
and Redis protocol (RESP2, which settings.CHANNEL_LAYERS asks for, against redis-py 8's default RESP3).

    python bench/layer_answers.py                      # 8, 25 and 100 KB answers, 2000 of each
    python bench/layer_answers.py --sizes 25 --count 5000

A Sketch answer is a JPEG of about 25 KB (more for busy pictures and 512-px outputs). Each
answer is published and then received by this process, one at a time; the figure is its CPU
time per answer, both sides, and the publishing side is the same under either protocol (Redis
answers a PUBLISH with a number). Runs its own throwaway Redis (webapp/embedded_redis.py).
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")


async def cpu_per_answer(host: dict, size: int, count: int) -> float:
    from channels_redis.pubsub import RedisPubSubChannelLayer

    layer = RedisPubSubChannelLayer(hosts=[host])
    channel = await layer.new_channel()  # subscribed from here on
    message = {"type": "sketch.result", "seq": 1, "image": os.urandom(size)}
    await layer.send(channel, message)  # connections made and warm
    await layer.receive(channel)
    started = time.process_time()
    # One at a time: a publisher that runs ahead fills Redis's output buffer for the subscriber.
    for _ in range(count):
        await layer.send(channel, message)
        await layer.receive(channel)
    used = time.process_time() - started
    await layer.flush()
    return used / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8, 25, 100], help="answer sizes, KB")
    parser.add_argument("--count", type=int, default=2000, help="answers per measurement")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from webapp.embedded_redis import EmbeddedRedis

    configured = settings.CHANNEL_LAYERS["live"]["CONFIG"]["hosts"][0]
    with tempfile.TemporaryDirectory() as workdir, EmbeddedRedis(Path(workdir)) as url:
        print(f"{'answer KB':>9}  {'RESP2 us/answer':>15}  {'RESP3 us/answer':>15}  (settings: RESP{configured.get('protocol', 3)})")
        for size in args.sizes:
            figures = {}
            for protocol in (2, 3, 2, 3):  # alternating; the better of two runs each
                host = {**configured, "address": url, "protocol": protocol}
                spent = asyncio.run(cpu_per_answer(host, size * 1024, args.count))
                figures[protocol] = min(figures.get(protocol, spent), spent)
            print(f"{size:>9}  {figures[2] * 1e6:>15.0f}  {figures[3] * 1e6:>15.0f}")


if __name__ == "__main__":
    main()
