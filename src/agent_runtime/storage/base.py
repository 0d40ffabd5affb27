"""Repository protocols and the query shapes they accept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from agent_runtime.schemas.assistants import Assistant, AssistantSortBy
from agent_runtime.schemas.common import Config, Json, SortOrder
from agent_runtime.schemas.runs import Run, RunStatus
from agent_runtime.schemas.threads import Thread, ThreadSortBy, ThreadStatus

Owner = str | None
SYSTEM_OWNER = "system"


@dataclass(frozen=True)
class Page:
    limit: int = 10
    offset: int = 0


F = TypeVar("F", bound=str)


@dataclass(frozen=True)
class Sort(Generic[F]):
    by: F
    order: SortOrder = "desc"


@dataclass(frozen=True)
class AssistantFilter:
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class AssistantUpdate:
    graph_id: str | None = None
    config: Config | None = None
    context: Json | None = None
    metadata: Json | None = None
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ThreadFilter:
    ids: list[str] | None = None
    metadata: Json | None = None
    values: Json | None = None
    status: ThreadStatus | None = None


@dataclass(frozen=True)
class StateSnapshotRecord:
    """A thread's state after a run, mirrored for the sibling runtime's history view
    (Postgres: one `thread_states` row). Values and metadata are plain JSON."""

    values: Json
    next: list[str]
    checkpoint_id: str
    metadata: Json
    tasks: list[Json]
    interrupts: list[Json]
    parent_checkpoint: Json | None = None


@dataclass(frozen=True)
class ThreadStateUpdate:
    """What the run worker writes back to a thread after (or during) a run."""

    status: ThreadStatus | None = None
    values: Json | None = None
    interrupts: dict[str, Any] | None = None
    snapshot: StateSnapshotRecord | None = None


class AssistantRepository(Protocol):
    async def create(self, owner: Owner, assistant: Assistant) -> Assistant | None:
        """Insert; `None` when the id is taken."""

    async def get(self, owner: Owner, assistant_id: str) -> Assistant | None: ...

    async def update(
        self, owner: Owner, assistant_id: str, update: AssistantUpdate
    ) -> Assistant | None:
        """Merge metadata, replace the rest and bump the version; `None` if not writable."""

    async def delete(self, owner: Owner, assistant_id: str) -> bool: ...

    async def search(
        self,
        owner: Owner,
        where: AssistantFilter,
        sort: Sort[AssistantSortBy],
        page: Page,
    ) -> tuple[list[Assistant], int]:
        """One page of matches and the total number of matches."""

    async def count(self, owner: Owner, where: AssistantFilter) -> int: ...


class ThreadRepository(Protocol):
    async def create(self, owner: Owner, thread: Thread) -> Thread | None:
        """Insert; `None` when the id is taken."""

    async def get(self, owner: Owner, thread_id: str) -> Thread | None: ...

    async def metadata(self, owner: Owner, thread_id: str) -> Json | None:
        """The thread's metadata, `None` as `get` would be: for a read that needs to know
        only whose thread it is and its graph, not the values stored with it."""

    async def update_metadata(self, owner: Owner, thread_id: str, patch: Json) -> Thread | None:
        """Merge `patch` into the metadata; `None` when the thread is not the owner's."""

    async def update_state(self, thread_id: str, update: ThreadStateUpdate) -> Thread | None:
        """Write run results; called by the worker on behalf of an already-checked owner.
        A `snapshot` is also recorded where the storage keeps state history (Postgres)."""

    async def delete(self, owner: Owner, thread_id: str) -> bool:
        """Delete the thread with its runs and checkpoints: one atomic step."""

    async def search(
        self,
        owner: Owner,
        where: ThreadFilter,
        sort: Sort[ThreadSortBy],
        page: Page,
    ) -> tuple[list[Thread], int]: ...

    async def count(self, owner: Owner, where: ThreadFilter) -> int: ...


ACTIVE_RUN_STATUSES: tuple[RunStatus, ...] = ("pending", "running")


def with_graph(run: Run, assistant: Assistant) -> Run:
    """The run as stored with its assistant: its `kwargs` name the assistant's graph."""
    return run.model_copy(update={"kwargs": {**run.kwargs, "graph_id": assistant.graph_id}})


class RunRepository(Protocol):
    # Whether `finish` records `ThreadStateUpdate.snapshot` (Postgres's `thread_states`).
    keeps_history: bool

    async def create(self, run: Run, thread_metadata: Json | None = None) -> Run:
        """Store the run and mark its thread busy, merging `thread_metadata` into the
        thread's metadata when given: one atomic step."""

    # A new run's two ways in read its assistant (`run.assistant_id`, if the owner may read
    # it) in the same step and answer with it; without one nothing is stored. The run's
    # `kwargs` and its thread's metadata take the assistant's `graph_id`.

    async def create_with_thread(
        self, owner: Owner, run: Run, new_thread: Thread
    ) -> Assistant | None:
        """Store the run with `new_thread` (a stateless run's), as given: one atomic step.
        An id already taken fails it."""

    async def create_if_idle(
        self, owner: Owner, run: Run, thread_metadata: Json
    ) -> tuple[Assistant | None, bool]:
        """`create`, if the run's thread is the owner's and not busy (so no run is active on
        it): one atomic step. The flag says whether the run was stored."""

    async def finish(
        self, run_id: str, status: RunStatus | None, thread_id: str, update: ThreadStateUpdate
    ) -> None:
        """Settle a run: set its status (unless None) and update its thread, which stays
        busy instead of `update.status` while another run on it is active: one atomic step."""

    async def get(self, owner: Owner, run_id: str, thread_id: str | None = None) -> Run | None:
        """The run, if the owner's and (when given) on that thread."""

    async def list_for_thread(
        self, owner: Owner, thread_id: str, status: RunStatus | None, page: Page
    ) -> list[Run]:
        """Newest first."""

    async def active(self, thread_id: str) -> list[Run]:
        """Pending and running runs of the thread, oldest first."""

    async def set_status(self, run_id: str, status: RunStatus) -> Run | None: ...

    async def start(self, run_id: str) -> bool:
        """`set_status(run_id, "running")` without reading the run back: False when it is
        gone."""

    async def delete(self, run_id: str) -> bool: ...

    async def delete_own_thread(self, run_id: str, thread_id: str) -> bool:
        """`ThreadRepository.delete` of the temporary thread `run_id` ran on, as it ends;
        False, with nothing deleted, while another run is active on it."""


Namespace = tuple[str, ...]
# Store items are always scoped by owner; with auth off every caller is this owner.
ANONYMOUS_OWNER = "anonymous"


@dataclass(frozen=True)
class StoreItem:
    namespace: Namespace
    key: str
    value: Json
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StoreSearch:
    prefix: Namespace = ()
    # Equality on top-level value keys, or {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": operand}.
    filter: Json | None = None
    # Case-insensitive text match over the JSON value.
    query: str | None = None
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class NamespaceQuery:
    # Each label may be "*" (any one label).
    prefix: Namespace | None = None
    suffix: Namespace | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


class StoreRepository(Protocol):
    """Long-term memory items, keyed by (owner, namespace, key)."""

    async def put(self, owner: str, namespace: Namespace, key: str, value: Json) -> StoreItem:
        """Upsert: `created_at` kept, `updated_at` bumped."""

    async def get(self, owner: str, namespace: Namespace, key: str) -> StoreItem | None: ...

    async def delete(self, owner: str, namespace: Namespace, key: str) -> bool: ...

    async def search(self, owner: str, search: StoreSearch) -> list[StoreItem]:
        """Items under the prefix matching filter and query, newest `updated_at` first."""

    async def list_namespaces(self, owner: str, query: NamespaceQuery) -> list[Namespace]:
        """Distinct namespaces (truncated to max_depth, then de-duplicated), sorted."""
