"""In-memory repositories: the default storage, needing no set-up, lost on restart.

Each method runs without awaiting, so on one event loop it is atomic, like a SQL statement.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent_runtime.schemas.assistants import Assistant, AssistantSortBy
from agent_runtime.schemas.common import Json, utcnow
from agent_runtime.schemas.runs import Run, RunStatus
from agent_runtime.schemas.threads import Thread, ThreadSortBy
from agent_runtime.storage.base import (
    ACTIVE_RUN_STATUSES,
    SYSTEM_OWNER,
    AssistantFilter,
    AssistantUpdate,
    Owner,
    Page,
    Sort,
    ThreadFilter,
    ThreadStateUpdate,
    with_graph,
)
from agent_runtime.storage.jsonmatch import contains

T = TypeVar("T", Assistant, Thread)


def _owned_by(metadata: dict[str, Any], owner: Owner) -> bool:
    return owner is None or metadata.get("owner") == owner


def _readable(metadata: dict[str, Any], owner: Owner) -> bool:
    return _owned_by(metadata, owner) or metadata.get("owner") == SYSTEM_OWNER


def _sorted_page(
    items: Iterable[T], key: Callable[[T], Any], sort: Sort[Any], page: Page
) -> list[T]:
    # Only the page's end needs ordering; equal to sorting all, ties included.
    pick = heapq.nlargest if sort.order == "desc" else heapq.nsmallest
    return pick(page.offset + page.limit, items, key=key)[page.offset :]


def _scalar(value: Any) -> Hashable | None:
    """A JSON scalar as an index key: equal exactly when `jsonb @>` says the values match."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", value)  # 1 and 1.0 are one key, as in JSON
    if isinstance(value, str):
        return ("string", value)
    if value is None:
        return ("null", None)
    return None


class _MetadataIndex:
    """Thread ids by each top-level scalar metadata entry, so a search by metadata (and by
    owner, which is a metadata entry) reads the matching threads rather than all of them."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, Hashable], dict[str, None]] = {}

    def add(self, thread_id: str, metadata: dict[str, Any]) -> None:
        for entry in self._entries(metadata):
            self._ids.setdefault(entry, {})[thread_id] = None

    def remove(self, thread_id: str, metadata: dict[str, Any]) -> None:
        for entry in self._entries(metadata):
            ids = self._ids.get(entry)
            if ids is not None:
                ids.pop(thread_id, None)
                if not ids:
                    del self._ids[entry]

    def candidates(self, pattern: dict[str, Any]) -> dict[str, None] | None:
        """Ids that can match `pattern`, in creation order; None when no entry narrows it."""
        narrowest: dict[str, None] | None = None
        for entry in self._entries(pattern):
            ids = self._ids.get(entry, {})
            if narrowest is None or len(ids) < len(narrowest):
                narrowest = ids
        return narrowest

    @staticmethod
    def _entries(metadata: dict[str, Any]) -> list[tuple[str, Hashable]]:
        return [
            (key, scalar)
            for key, value in metadata.items()
            if (scalar := _scalar(value)) is not None
        ]


class MemoryAssistants:
    def __init__(self) -> None:
        self._rows: dict[str, Assistant] = {}

    async def create(self, owner: Owner, assistant: Assistant) -> Assistant | None:
        if assistant.assistant_id in self._rows:
            return None
        self._rows[assistant.assistant_id] = assistant
        return assistant

    async def get(self, owner: Owner, assistant_id: str) -> Assistant | None:
        row = self._rows.get(assistant_id)
        return row if row is not None and _readable(row.metadata, owner) else None

    async def update(
        self, owner: Owner, assistant_id: str, update: AssistantUpdate
    ) -> Assistant | None:
        row = self._rows.get(assistant_id)
        if row is None or not _owned_by(row.metadata, owner):
            return None
        changes: dict[str, Any] = {"version": row.version + 1, "updated_at": utcnow()}
        for name in ("graph_id", "config", "context", "name", "description"):
            value = getattr(update, name)
            if value is not None:
                changes[name] = value
        if update.metadata is not None:
            changes["metadata"] = {**row.metadata, **update.metadata}
        updated = row.model_copy(update=changes)
        self._rows[assistant_id] = updated
        return updated

    async def delete(self, owner: Owner, assistant_id: str) -> bool:
        row = self._rows.get(assistant_id)
        if row is None or not _owned_by(row.metadata, owner):
            return False
        del self._rows[assistant_id]
        return True

    async def search(
        self, owner: Owner, where: AssistantFilter, sort: Sort[AssistantSortBy], page: Page
    ) -> tuple[list[Assistant], int]:
        matches = self._matching(owner, where)
        by = sort.by
        return _sorted_page(matches, lambda a: getattr(a, by) or "", sort, page), len(matches)

    async def count(self, owner: Owner, where: AssistantFilter) -> int:
        return len(self._matching(owner, where))

    def _matching(self, owner: Owner, where: AssistantFilter) -> list[Assistant]:
        name = where.name.lower() if where.name else None
        return [
            a
            for a in self._rows.values()
            if _readable(a.metadata, owner)
            and (where.graph_id is None or a.graph_id == where.graph_id)
            and (name is None or name in a.name.lower())
            and (where.metadata is None or contains(a.metadata, where.metadata))
        ]


class MemoryThreads:
    def __init__(self, checkpointer: BaseCheckpointSaver[Any] | None = None) -> None:
        self._rows: dict[str, Thread] = {}
        self._index = _MetadataIndex()
        # Whose checkpoints of a thread go with it.
        self._checkpointer = checkpointer
        # Told of each deleted thread, so its runs go with it as in Postgres, where one
        # statement deletes both (`MemoryRuns` sets it).
        self.on_delete: Callable[[str], None] | None = None

    async def create(self, owner: Owner, thread: Thread) -> Thread | None:
        if thread.thread_id in self._rows:
            return None
        self._rows[thread.thread_id] = thread
        self._index.add(thread.thread_id, thread.metadata)
        return thread

    async def get(self, owner: Owner, thread_id: str) -> Thread | None:
        row = self._rows.get(thread_id)
        return row if row is not None and _owned_by(row.metadata, owner) else None

    async def metadata(self, owner: Owner, thread_id: str) -> Json | None:
        row = await self.get(owner, thread_id)
        return dict(row.metadata) if row is not None else None

    async def update_metadata(
        self, owner: Owner, thread_id: str, patch: dict[str, Any]
    ) -> Thread | None:
        row = await self.get(owner, thread_id)
        if row is None:
            return None
        changes = {"metadata": {**row.metadata, **patch}, "updated_at": utcnow()}
        return self._replace(row, row.model_copy(update=changes))

    async def update_state(self, thread_id: str, update: ThreadStateUpdate) -> Thread | None:
        return self.apply_state(thread_id, update)

    def apply_state(self, thread_id: str, update: ThreadStateUpdate) -> Thread | None:
        row = self._rows.get(thread_id)
        if row is None:
            return None
        changes: dict[str, Any] = {"updated_at": utcnow()}
        for name in ("status", "values", "interrupts"):
            value = getattr(update, name)
            if value is not None:
                changes[name] = value
        return self._replace(row, row.model_copy(update=changes))

    def mark_busy(self, thread_id: str, metadata: Json | None) -> None:
        """A run was created on the thread (see `MemoryRuns.create`)."""
        row = self._rows.get(thread_id)
        if row is None:
            return
        changes: dict[str, Any] = {"status": "busy", "updated_at": utcnow()}
        if metadata:
            changes["metadata"] = {**row.metadata, **metadata}
        self._replace(row, row.model_copy(update=changes))

    def _replace(self, row: Thread, updated: Thread) -> Thread:
        """Store `updated` in place of `row`, keeping the metadata index in step."""
        self._rows[row.thread_id] = updated
        if updated.metadata is not row.metadata:
            self._index.remove(row.thread_id, row.metadata)
            self._index.add(row.thread_id, updated.metadata)
        return updated

    async def delete(self, owner: Owner, thread_id: str) -> bool:
        row = await self.get(owner, thread_id)
        if row is None:
            return False
        del self._rows[thread_id]
        self._index.remove(thread_id, row.metadata)
        if self.on_delete is not None:
            self.on_delete(thread_id)
        if self._checkpointer is not None:
            self._checkpointer.delete_thread(thread_id)
        return True

    async def search(
        self, owner: Owner, where: ThreadFilter, sort: Sort[ThreadSortBy], page: Page
    ) -> tuple[list[Thread], int]:
        matches = self._matching(owner, where)
        by = sort.by
        return _sorted_page(matches, lambda t: getattr(t, by), sort, page), len(matches)

    async def count(self, owner: Owner, where: ThreadFilter) -> int:
        return len(self._matching(owner, where))

    def _matching(self, owner: Owner, where: ThreadFilter) -> list[Thread]:
        rows: Iterable[Thread]
        pattern = {**(where.metadata or {}), **({"owner": owner} if owner is not None else {})}
        if where.ids is not None:
            rows = (self._rows[i] for i in dict.fromkeys(where.ids) if i in self._rows)
        elif (ids := self._index.candidates(pattern)) is not None:
            rows = (self._rows[i] for i in ids)
        else:
            rows = self._rows.values()
        return [
            t
            for t in rows
            if _owned_by(t.metadata, owner)
            and (where.status is None or t.status == where.status)
            and (where.metadata is None or contains(t.metadata, where.metadata))
            and (where.values is None or contains(t.values, where.values))
        ]


class MemoryRuns:
    keeps_history = False

    def __init__(self, threads: MemoryThreads, assistants: MemoryAssistants) -> None:
        self._rows: dict[str, Run] = {}
        self._by_thread: dict[str, dict[str, None]] = {}
        self._threads = threads
        self._assistants = assistants
        threads.on_delete = self._drop_thread

    async def create(self, run: Run, thread_metadata: Json | None = None) -> Run:
        self._store(run)
        self._threads.mark_busy(run.thread_id, thread_metadata)
        return run

    async def create_with_thread(
        self, owner: Owner, run: Run, new_thread: Thread
    ) -> Assistant | None:
        assistant = await self._assistants.get(owner, run.assistant_id)
        if assistant is None:
            return None
        metadata = {**new_thread.metadata, "graph_id": assistant.graph_id}
        if await self._threads.create(None, new_thread.model_copy(update={"metadata": metadata})):
            self._store(with_graph(run, assistant))
            return assistant
        raise ValueError(f"Thread {new_thread.thread_id} already exists")

    async def create_if_idle(
        self, owner: Owner, run: Run, thread_metadata: Json
    ) -> tuple[Assistant | None, bool]:
        assistant = await self._assistants.get(owner, run.assistant_id)
        thread = await self._threads.get(owner, run.thread_id)
        if assistant is None or thread is None or thread.status == "busy":
            return assistant, False
        metadata = {**thread_metadata, "graph_id": assistant.graph_id}
        changed = any(thread.metadata.get(k) != v for k, v in metadata.items())
        await self.create(with_graph(run, assistant), metadata if changed else None)
        return assistant, True

    def _store(self, run: Run) -> None:
        self._rows[run.run_id] = run
        self._by_thread.setdefault(run.thread_id, {})[run.run_id] = None

    async def finish(
        self, run_id: str, status: RunStatus | None, thread_id: str, update: ThreadStateUpdate
    ) -> None:
        if status is not None:
            self._set_status(run_id, status)
        waiting = any(
            r.run_id != run_id and r.status in ACTIVE_RUN_STATUSES
            for r in self._thread_runs(thread_id)
        )
        if waiting:
            update = dataclasses.replace(update, status="busy")
        self._threads.apply_state(thread_id, update)

    async def get(self, owner: Owner, run_id: str, thread_id: str | None = None) -> Run | None:
        row = self._rows.get(run_id)
        if row is None or not _owned_by(row.metadata, owner):
            return None
        return row if thread_id is None or row.thread_id == thread_id else None

    async def list_for_thread(
        self, owner: Owner, thread_id: str, status: RunStatus | None, page: Page
    ) -> list[Run]:
        rows = [
            r
            for r in self._thread_runs(thread_id)
            if _owned_by(r.metadata, owner) and (status is None or r.status == status)
        ]
        rows.reverse()
        return rows[page.offset : page.offset + page.limit]

    async def active(self, thread_id: str) -> list[Run]:
        return [r for r in self._thread_runs(thread_id) if r.status in ACTIVE_RUN_STATUSES]

    async def set_status(self, run_id: str, status: RunStatus) -> Run | None:
        return self._set_status(run_id, status)

    async def start(self, run_id: str) -> bool:
        return self._set_status(run_id, "running") is not None

    def _set_status(self, run_id: str, status: RunStatus) -> Run | None:
        row = self._rows.get(run_id)
        if row is None:
            return None
        updated = row.model_copy(update={"status": status, "updated_at": utcnow()})
        self._rows[run_id] = updated
        return updated

    async def delete(self, run_id: str) -> bool:
        row = self._rows.pop(run_id, None)
        if row is None:
            return False
        self._by_thread.get(row.thread_id, {}).pop(run_id, None)
        return True

    async def delete_own_thread(self, run_id: str, thread_id: str) -> bool:
        if any(r.run_id != run_id for r in await self.active(thread_id)):
            return False
        return await self._threads.delete(None, thread_id)

    def _drop_thread(self, thread_id: str) -> None:
        for run_id in self._by_thread.pop(thread_id, {}):
            self._rows.pop(run_id, None)

    def _thread_runs(self, thread_id: str) -> list[Run]:
        # Insertion order is creation order.
        return [self._rows[i] for i in self._by_thread.get(thread_id, {})]
