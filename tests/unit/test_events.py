"""Event logs stay within their bounds, so memory stays flat however many runs go through."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc

import orjson
import pytest

from agent_runtime.runs.events import MemoryEventBroker


def test_finished_logs_are_evicted_past_their_byte_budget() -> None:
    broker = MemoryEventBroker(max_finished=100, max_finished_bytes=10_000)
    for i in range(10):
        broker.open(f"run-{i}").publish("values", b"x" * 3000)
        broker.close(f"run-{i}")
    # Three logs of 3,000 bytes fit in 10,000; the older ones are gone.
    kept = [i for i in range(10) if broker.get(f"run-{i}") is not None]
    assert kept == [7, 8, 9]


def test_finished_logs_are_evicted_past_their_count() -> None:
    broker = MemoryEventBroker(max_finished=2)
    for i in range(4):
        broker.open(f"run-{i}").publish("end", b"null")
        broker.close(f"run-{i}")
    assert [i for i in range(4) if broker.get(f"run-{i}") is not None] == [2, 3]


def test_a_live_log_is_never_evicted() -> None:
    broker = MemoryEventBroker(max_finished=1, max_finished_bytes=1)
    live = broker.open("live")
    live.publish("values", b"y" * 100)
    for i in range(3):
        broker.open(f"run-{i}").publish("values", b"x" * 100)
        broker.close(f"run-{i}")
    assert broker.get("live") is live
    assert [e.data for e in live.since(0)] == [b"y" * 100]


def test_a_log_holds_exact_size_copies_of_what_it_is_given() -> None:
    # orjson rounds its output buffers up to 4 KiB; a log that kept them would hold 80 times
    # the bytes it reports.
    broker = MemoryEventBroker()
    payloads = [orjson.dumps({"run_id": f"{i:036d}", "attempt": 1}) for i in range(1000)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        log = broker.open("run")
        for payload in payloads:
            log.publish("metadata", payload)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert log.size == sum(len(p) for p in payloads)
    assert held < 250 * len(payloads)
    assert [e.data for e in log.since(0)] == payloads


async def test_a_follower_gets_what_was_published_since_its_last_batch_in_one() -> None:
    log = MemoryEventBroker().open("run-1")
    for n in range(3):
        log.publish("values", orjson.dumps(n))
    follower = log.follow(0, heartbeat=5)
    first = await anext(follower)
    assert first is not None
    assert [e.id for e in first] == [1, 2, 3]
    waiting = asyncio.ensure_future(anext(follower))
    await asyncio.sleep(0)  # the follower now waits for the next event
    log.publish("values", b"3")
    log.publish("end", b"null")
    second = await waiting
    assert second is not None
    assert [(e.id, e.event) for e in second] == [(4, "values"), (5, "end")]
    log.close()
    with pytest.raises(StopAsyncIteration):
        await anext(follower)


def test_a_finished_log_replays_from_any_id() -> None:
    broker = MemoryEventBroker(max_events=5)
    log = broker.open("run")
    for i in range(8):  # the first three drop out of the live log's bound
        log.publish("messages", orjson.dumps({"n": i}))
    log.publish("end", b"null")
    broker.close("run")
    broker.close("run")  # a second close changes nothing

    finished = broker.get("run")
    assert finished is log and log.closed
    assert [e.id for e in log.since(0)] == [5, 6, 7, 8, 9]
    assert [(e.id, e.event, e.data) for e in log.since(7)] == [
        (8, "messages", b'{"n":7}'),
        (9, "end", b"null"),
    ]
    assert log.since(9) == []


def _tracked_under(root: object) -> int:
    """GC-tracked objects reachable from `root` (itself included)."""
    seen, todo = {id(root)}, [root]
    count = 0
    while todo:
        obj = todo.pop()
        count += gc.is_tracked(obj)
        for ref in gc.get_referents(obj):
            if id(ref) not in seen and not isinstance(ref, type):
                seen.add(id(ref))
                todo.append(ref)
    return count


def test_a_finished_logs_events_leave_the_collector_nothing_more_to_walk() -> None:
    broker = MemoryEventBroker()
    for name, count in (("short", 1), ("long", 500)):
        log = broker.open(name)
        for i in range(count):
            log.publish("messages", orjson.dumps({"n": i}))
        broker.close(name)
    gc.collect()  # plain tuples are untracked by the first pass that sees them
    short, long = broker.get("short"), broker.get("long")
    assert short is not None and long is not None
    assert _tracked_under(long) == _tracked_under(short)
