"""The micro-batcher gathers items from many threads into one call and answers each caller."""
import threading

import pytest

from inference.batching import MicroBatcher


def test_items_from_many_threads_share_one_call_and_get_their_own_results():
    # The first call is held open until five threads have queued their items, so those five
    # are waiting together when the batcher next gathers: no schedule can split them. No
    # gathering wait (max_wait=0): items already queued join a batch whatever the clock says.
    calls, running, release = [], threading.Event(), threading.Event()

    def run(group, items):
        calls.append(list(items))
        running.set()
        release.wait(30)
        return [item * 10 for item in items]

    batcher = MicroBatcher(run, max_batch=5, max_wait=0)
    first = batcher.submit(0)
    assert running.wait(30)
    results, queued = {}, [threading.Event() for _ in range(5)]

    def client(i):
        future = batcher.submit(i)
        queued[i - 1].set()
        results[i] = future.result(30)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(1, 6)]
    for t in threads:
        t.start()
    assert all(event.wait(30) for event in queued)
    release.set()
    for t in threads:
        t.join()
    assert first.result(30).output == 0 and first.result().batch_size == 1
    assert {i: r.output for i, r in results.items()} == {i: i * 10 for i in range(1, 6)}
    assert calls[0] == [0] and sorted(calls[1]) == [1, 2, 3, 4, 5] and len(calls) == 2
    assert all(r.batch_size == 5 for r in results.values())


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


def test_a_lone_item_never_waits_for_company_but_a_busy_batcher_gathers():
    # max_wait is a minute: if the batcher waited for newcomers after a lone item, result(10) would time out.
    calls, running, release = [], threading.Event(), threading.Event()

    def run(group, items):
        calls.append(list(items))
        if len(calls) == 2:
            running.set()
            release.wait(30)
        return items

    batcher = MicroBatcher(run, max_batch=8, max_wait=60)
    assert batcher("alone", timeout=10).output == "alone"
    # A batch of three (queued while the second call is held open) ...
    held = batcher.submit("held")
    assert running.wait(30)
    trio = [batcher.submit(i) for i in range(3)]
    release.set()
    assert held.result(10).batch_size == 1 and [f.result(10).batch_size for f in trio] == [3, 3, 3]
    # ... so the next batch waits (up to the minute) for as many: three submitted one by one share one call.
    following = []
    for i in range(3):
        following.append(batcher.submit(i))
    assert [f.result(30).batch_size for f in following] == [3, 3, 3]
    assert calls[-1] == [0, 1, 2]
