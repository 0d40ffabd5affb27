"""Per-run event logs: what a run streamed, kept so listeners can join late or re-join.

A log is written by one run and read by any number of listeners, each following from an event
id of its own. Logs are bounded while the run is live (oldest events dropped past a count or
byte limit) and evicted after the run ends (past an age, a number of finished logs or their
total bytes), so memory stays flat however many runs go through.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StreamEvent:
    id: int
    event: str
    data: bytes  # one line of JSON: the encoder escapes newlines, so SSE framing holds

    def encode(self) -> bytes:
        return b"id: %d\nevent: %s\ndata: %s\n\n" % (self.id, self.event.encode(), self.data)


HEARTBEAT = b": heartbeat\n\n"


class RunEventLog:
    def __init__(self, max_events: int, max_bytes: int) -> None:
        # A list with a moving head rather than a deque: followers slice the tail cheaply.
        self._events: list[StreamEvent] = []
        self._head = 0
        self._bytes = 0
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._next_id = 1
        self._signal = asyncio.Event()
        self._waiting = 0
        self.closed = False
        self.closed_at = 0.0
        # A closed log's events, as plain tuples (see `close`).
        self._kept: list[tuple[int, str, bytes]] | None = None

    @property
    def size(self) -> int:
        """Bytes of event data held."""
        return self._bytes

    def publish(self, event: str, data: bytes) -> None:
        if self.closed:
            return
        # orjson hands back bytes whose buffer is rounded up (4 KiB for a 50-byte event) and
        # never shrunk; a log keeps its events for minutes, so it keeps an exact-size copy.
        data = bytes(memoryview(data))
        self._events.append(StreamEvent(self._next_id, event, data))
        self._next_id += 1
        self._bytes += len(data)
        while self._count > self._max_events or (self._bytes > self._max_bytes and self._count > 1):
            self._bytes -= len(self._events[self._head].data)
            self._head += 1
        if self._head > 1024 and self._head * 2 > len(self._events):
            del self._events[: self._head]
            self._head = 0
        self._wake()

    @property
    def _count(self) -> int:
        return len(self._events) - self._head

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.closed_at = time.monotonic()
        # Kept for minutes for late joins, a finished log holds its events as tuples of
        # plain values, which the garbage collector stops tracking: as event objects, the
        # events of every finished log would be walked by each of its full passes.
        self._kept = [(e.id, e.event, e.data) for e in self._events[self._head :]]
        self._events, self._head = [], 0
        self._wake()

    def since(self, after: int) -> list[StreamEvent]:
        if self._kept is not None:
            if not self._kept:
                return []
            first = max(0, after - self._kept[0][0] + 1)
            return [StreamEvent(*event) for event in self._kept[first:]]
        if not self._count:
            return []
        # Ids are consecutive, so the position of `after` is arithmetic.
        start = self._head + max(0, after - self._events[self._head].id + 1)
        return self._events[start:]

    async def follow(self, after: int, heartbeat: float) -> AsyncIterator[list[StreamEvent] | None]:
        """Events after `after`, live until the log closes, in batches of those published
        since the last one (one write for several); `None` for each idle heartbeat."""
        while True:
            signal = self._signal
            batch = self.since(after)
            if batch:
                yield batch
                after = batch[-1].id
                continue
            if self.closed:
                return
            # Nothing awaits between reading the signal above and waiting on it here, so no
            # event can be published unseen in between.
            self._waiting += 1
            try:
                async with asyncio.timeout(heartbeat):
                    await signal.wait()
            except TimeoutError:
                yield None
            finally:
                self._waiting -= 1

    def _wake(self) -> None:
        # Waiters hold the old event; a fresh one makes the next wait block again. With no
        # one waiting there is nobody to wake: a follower reads new events before it waits.
        if self._waiting:
            self._signal.set()
            self._signal = asyncio.Event()


class EventBroker(Protocol):
    """Where run events go. In-process here; a Redis- or Postgres-backed broker would let
    a listener on one replica follow a run executing on another."""

    def open(self, run_id: str) -> RunEventLog: ...

    def get(self, run_id: str) -> RunEventLog | None: ...

    def close(self, run_id: str) -> None: ...


class MemoryEventBroker:
    def __init__(
        self,
        max_events: int = 50_000,
        max_bytes: int = 32 * 1024 * 1024,
        retention_seconds: float = 600.0,
        max_finished: int = 1000,
        max_finished_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self._live: dict[str, RunEventLog] = {}
        self._finished: OrderedDict[str, RunEventLog] = OrderedDict()
        self._finished_bytes = 0
        self._limits = (max_events, max_bytes)
        self._retention = retention_seconds
        self._max_finished = max_finished
        self._max_finished_bytes = max_finished_bytes

    def open(self, run_id: str) -> RunEventLog:
        log = self._live.get(run_id)
        if log is None:
            log = self._live[run_id] = RunEventLog(*self._limits)
        return log

    def get(self, run_id: str) -> RunEventLog | None:
        return self._live.get(run_id) or self._finished.get(run_id)

    def close(self, run_id: str) -> None:
        log = self._live.pop(run_id, None)
        if log is None:
            return
        log.close()
        self._finished[run_id] = log
        self._finished_bytes += log.size
        self._evict()

    def _evict(self) -> None:
        horizon = time.monotonic() - self._retention
        while self._finished:
            oldest = next(iter(self._finished.values()))
            if (
                len(self._finished) <= self._max_finished
                and self._finished_bytes <= self._max_finished_bytes
                and oldest.closed_at >= horizon
            ):
                break
            self._finished.popitem(last=False)
            self._finished_bytes -= oldest.size
