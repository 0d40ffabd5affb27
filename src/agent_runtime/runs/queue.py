"""The run queue: hands runs to workers, one run at a time per thread, in creation order."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Protocol


class RunQueue(Protocol):
    """A Postgres implementation would claim rows with `FOR UPDATE SKIP LOCKED` and wake
    workers with `LISTEN/NOTIFY`; this interface is what the workers rely on."""

    def put(self, thread_id: str, run_id: str) -> None:
        """Queue a run behind whatever its thread is already running."""

    async def get(self) -> tuple[str, str]:
        """The next (thread_id, run_id) whose thread is free; blocks until there is one."""

    def done(self, thread_id: str, run_id: str) -> None:
        """The run finished (or was dropped): free its thread for the next one."""

    def discard(self, thread_id: str, run_id: str) -> bool:
        """Drop a run that has not been handed out yet; False if it already was."""


class MemoryRunQueue:
    def __init__(self) -> None:
        self._ready: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._holder: dict[str, str] = {}  # thread -> run handed out or about to be
        self._waiting: dict[str, deque[str]] = {}

    def put(self, thread_id: str, run_id: str) -> None:
        if thread_id in self._holder:
            self._waiting.setdefault(thread_id, deque()).append(run_id)
            return
        self._holder[thread_id] = run_id
        self._ready.put_nowait((thread_id, run_id))

    async def get(self) -> tuple[str, str]:
        return await self._ready.get()

    def done(self, thread_id: str, run_id: str) -> None:
        if self._holder.get(thread_id) != run_id:
            return
        waiting = self._waiting.get(thread_id)
        if waiting:
            successor = waiting.popleft()
            if not waiting:
                del self._waiting[thread_id]
            self._holder[thread_id] = successor
            self._ready.put_nowait((thread_id, successor))
        else:
            del self._holder[thread_id]

    def discard(self, thread_id: str, run_id: str) -> bool:
        waiting = self._waiting.get(thread_id)
        if waiting and run_id in waiting:
            waiting.remove(run_id)
            if not waiting:
                del self._waiting[thread_id]
            return True
        return False

    def pending(self) -> int:
        return self._ready.qsize() + sum(len(w) for w in self._waiting.values())
