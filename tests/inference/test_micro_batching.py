"""The micro-batcher gathers items from many threads into one call and answers each caller."""
import threading
import time

import pytest

from inference.batching import MicroBatcher


def test_items_from_many_threads_share_one_call_and_get_their_own_results():
    calls = []

    def run(group, items):
        calls.append(list(items))
        time.sleep(0.01)
        return [item * 10 for item in items]

    batcher = MicroBatcher(run, max_batch=8, max_wait=0.05)
    results = {}
    barrier = threading.Barrier(6)

    def client(i):
        barrier.wait()
        results[i] = batcher(i, timeout=5)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {i: r.output for i, r in results.items()} == {i: i * 10 for i in range(6)}
    assert len(calls) < 6  # at least some items shared a call
    assert max(r.batch_size for r in results.values()) > 1


def test_a_batch_never_exceeds_max_batch():
    sizes = []
    batcher = MicroBatcher(lambda g, items: sizes.append(len(items)) or items, max_batch=3, max_wait=0.05)
    futures = [batcher.submit(i) for i in range(10)]
    assert [f.result(5).output for f in futures] == list(range(10))
    assert max(sizes) <= 3


def test_items_of_different_groups_never_share_a_call():
    seen = []

    def run(group, items):
        seen.append((group, list(items)))
        return [(group, item) for item in items]

    batcher = MicroBatcher(run, max_batch=16, max_wait=0.05)
    futures = [batcher.submit(i, group=i % 2) for i in range(8)]
    assert [f.result(5).output for f in futures] == [(i % 2, i) for i in range(8)]
    for group, items in seen:
        assert all(i % 2 == group for i in items)


def test_a_failing_call_reaches_every_caller_and_the_batcher_keeps_working():
    def run(group, items):
        if "bad" in items:
            raise ValueError("boom")
        return items

    batcher = MicroBatcher(run, max_batch=4, max_wait=0.2)
    first = batcher.submit("bad")
    second = batcher.submit("bad")  # within max_wait: the same failing call
    for future in (first, second):
        with pytest.raises(ValueError, match="boom"):
            future.result(5)
    assert batcher("fine", timeout=5).output == "fine"
