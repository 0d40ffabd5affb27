"""Checkpointers as the runtime uses them: secrets kept out of checkpoint metadata,
deletion of the checkpoints one run wrote (for rollback), and state read as plain JSON data
where only its JSON is shown."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, cast

import orjson
import ormsgpack
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.jsonplus import (
    EXT_PYDANTIC_V1,
    EXT_PYDANTIC_V2,
    JsonPlusSerializer,
)

from agent_runtime.runs.secrets import scrub
from agent_runtime.runs.serde import dumps

ReadAs = Literal["models", "plain", "rendered"]
_READ_AS: ContextVar[ReadAs] = ContextVar("read_as", default="models")
# Set while a checkpointer decodes a checkpoint's channel values (not its pending writes).
_CHANNEL_VALUES: ContextVar[bool] = ContextVar("channel_values", default=False)
# A channel value rendered once is kept as JSON from this size of its stored bytes: below it,
# decoding costs less than keeping it. The cache holds blobs and their JSON up to its size.
RENDER_FROM_BYTES = 16 * 1024
RENDERED_CACHE_BYTES = 32 * 1024 * 1024
# How a state read treats a checkpoint's pending writes: those of the reserved channels
# (interrupts, errors, resume values) are shown as read; a `Command`'s state update (the null
# task's writes) is reduced into the values, and so, in a read of the latest state, is every
# write of a task that finished in the step under way. A reducer needs the models.
_SHOWN_AS_READ = frozenset(WRITES_IDX_MAP)
# LangGraph's id for writes that belong to no task; the library exports it only privately.
_NULL_TASK_ID = "00000000-0000-0000-0000-000000000000"


@contextmanager
def plain_models(plain: bool = True) -> Iterator[None]:
    """Within this block, checkpoint reads give each stored pydantic model (LangChain
    messages above all) as the dict it was stored from, its `model_dump()`, instead of
    rebuilding the model: the same JSON for a fraction of the work. For reads whose values
    are only shown or stored as JSON."""
    with _reading_as("plain" if plain else "models"):
        yield


@contextmanager
def rendered_values() -> Iterator[None]:
    """As `plain_models`, and a large channel value (a long conversation's messages) comes
    as an `orjson.Fragment` of its JSON, rendered once per stored version and kept: for
    reads whose values go straight into a response that `dumps` renders."""
    with _reading_as("rendered"):
        yield


@contextmanager
def _reading_as(mode: ReadAs) -> Iterator[None]:
    token = _READ_AS.set(mode)
    try:
        yield
    finally:
        _READ_AS.reset(token)


@contextmanager
def channel_values() -> Iterator[None]:
    """Marks a checkpointer's decoding of channel values, which `rendered_values` may
    render; pending writes are always decoded, since LangGraph reads them."""
    token = _CHANNEL_VALUES.set(True)
    try:
        yield
    finally:
        _CHANNEL_VALUES.reset(token)


class RenderedCache:
    """Channel values as JSON by their stored bytes, least recently used out first. A
    stored version never changes, so an entry never goes stale; it is evicted for room."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._size = 0
        self._entries: OrderedDict[tuple[str, bytes], tuple[orjson.Fragment, int]] = OrderedDict()
        # The Postgres checkpointer decodes in worker threads too.
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size

    def get(self, key: tuple[str, bytes]) -> orjson.Fragment | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: tuple[str, bytes], rendered: bytes) -> orjson.Fragment:
        """The JSON as a fragment, kept unless it alone is larger than the cache."""
        fragment = orjson.Fragment(rendered)
        size = len(key[1]) + len(rendered)
        if size > self._capacity:
            return fragment
        with self._lock:
            if key in self._entries:
                return fragment
            self._entries[key] = (fragment, size)
            self._size += size
            while self._size > self._capacity:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted
        return fragment


class CheckpointSerializer(JsonPlusSerializer):
    """The library's serializer and format (the sibling runtime reads the same rows), whose
    reads honour `plain_models`. A stored model is `(module, class, model_dump(), method)`."""

    def __init__(self, rendered_cache_bytes: int = RENDERED_CACHE_BYTES) -> None:
        super().__init__()
        self.rendered = RenderedCache(rendered_cache_bytes)
        rebuild = self._unpack_ext_hook

        def unpack(code: int, data: bytes) -> Any:
            if code in (EXT_PYDANTIC_V2, EXT_PYDANTIC_V1) and _READ_AS.get() != "models":
                options = ormsgpack.OPT_NON_STR_KEYS
                stored = ormsgpack.unpackb(data, ext_hook=unpack, option=options)
                return stored[2]
            return rebuild(code, data)

        self._unpack_ext_hook = unpack

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, stored = data
        if (
            kind != "msgpack"
            or len(stored) < RENDER_FROM_BYTES
            or _READ_AS.get() != "rendered"
            or not _CHANNEL_VALUES.get()
        ):
            return super().loads_typed(data)
        key = (kind, stored)
        fragment = self.rendered.get(key)
        if fragment is None:
            fragment = self.rendered.put(key, dumps(super().loads_typed(data)))
        return fragment


def _reduced_on_read(found: CheckpointTuple, *, latest: bool) -> bool:
    return any(
        task_id == _NULL_TASK_ID or (latest and channel not in _SHOWN_AS_READ)
        for task_id, channel, _ in found.pending_writes or ()
    )


def _rendered_reserved(found: CheckpointTuple) -> bool:
    # LangGraph reads its own channels' values (the `Send`s of the tasks channel, say).
    return any(
        name.startswith("__") and isinstance(value, orjson.Fragment)
        for name, value in found.checkpoint["channel_values"].items()
    )


def _read_again_as(found: CheckpointTuple, *, latest: bool) -> ReadAs | None:
    mode = _READ_AS.get()
    if mode == "models":
        return None
    if _reduced_on_read(found, latest=latest):
        return "models"
    if mode == "rendered" and _rendered_reserved(found):
        return "plain"
    return None


class PlainReads(BaseCheckpointSaver[str]):
    """Reads under `plain_models` of a checkpoint whose pending writes a state read reduces
    into its values (a run's step half done, a `Command`'s update) are read again with the
    models rebuilt: a reducer such as `add_messages` would rebuild them from the dicts, and
    not faithfully. A read under `rendered_values` that rendered one of LangGraph's own
    channels is read again plain."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        found = await super().aget_tuple(config)
        # LangGraph reads the latest state live, with the step's finished tasks applied.
        latest = "checkpoint_id" not in config.get("configurable", {})
        if found is not None and (mode := _read_again_as(found, latest=latest)):
            with _reading_as(mode):
                return await super().aget_tuple(config)
        return found

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        listed = super().alist(config, filter=filter, before=before, limit=limit)
        async for found in listed:
            if mode := _read_again_as(found, latest=False):
                with _reading_as(mode):
                    found = await super().aget_tuple(found.config) or found
            yield found


def scrubbed_config(config: RunnableConfig) -> RunnableConfig:
    clean: dict[str, Any] = dict(config)
    for part in ("configurable", "metadata"):
        if clean.get(part):
            clean[part] = scrub(clean[part])
    return cast(RunnableConfig, clean)


class MemoryCheckpointer(PlainReads, InMemorySaver):
    def __init__(self) -> None:
        super().__init__(serde=CheckpointSerializer())

    def _load_blobs(
        self, thread_id: str, checkpoint_ns: str, versions: ChannelVersions
    ) -> dict[str, Any]:
        with channel_values():
            return super()._load_blobs(thread_id, checkpoint_ns, versions)

    # The library's `aput` calls `put`, so scrubbing there covers both.
    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return super().put(scrubbed_config(config), checkpoint, metadata, new_versions)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        self.delete_for_runs(run_ids)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        targets = set(run_ids)
        for thread_id, namespaces in list(self.storage.items()):
            for ns, checkpoints in namespaces.items():
                for checkpoint_id, (_, metadata, _) in list(checkpoints.items()):
                    if self.serde.loads_typed(metadata).get("run_id") in targets:
                        del checkpoints[checkpoint_id]
                        for key in [k for k in self.writes if k == (thread_id, ns, checkpoint_id)]:
                            del self.writes[key]
