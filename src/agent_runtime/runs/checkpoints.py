"""Checkpointers as the runtime uses them: secrets kept out of checkpoint metadata,
deletion of the checkpoints one run wrote (for rollback), and state read as plain JSON data
where only its JSON is shown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

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

_PLAIN_MODELS: ContextVar[bool] = ContextVar("plain_models", default=False)
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
    token = _PLAIN_MODELS.set(plain)
    try:
        yield
    finally:
        _PLAIN_MODELS.reset(token)


class CheckpointSerializer(JsonPlusSerializer):
    """The library's serializer and format (the sibling runtime reads the same rows), whose
    reads honour `plain_models`. A stored model is `(module, class, model_dump(), method)`."""

    def __init__(self) -> None:
        super().__init__()
        rebuild = self._unpack_ext_hook

        def unpack(code: int, data: bytes) -> Any:
            if code in (EXT_PYDANTIC_V2, EXT_PYDANTIC_V1) and _PLAIN_MODELS.get():
                options = ormsgpack.OPT_NON_STR_KEYS
                stored = ormsgpack.unpackb(data, ext_hook=unpack, option=options)
                return stored[2]
            return rebuild(code, data)

        self._unpack_ext_hook = unpack


def _reduced_on_read(found: CheckpointTuple, *, latest: bool) -> bool:
    return any(
        task_id == _NULL_TASK_ID or (latest and channel not in _SHOWN_AS_READ)
        for task_id, channel, _ in found.pending_writes or ()
    )


class PlainReads(BaseCheckpointSaver[str]):
    """Reads under `plain_models` of a checkpoint whose pending writes a state read reduces
    into its values (a run's step half done, a `Command`'s update) are read again with the
    models rebuilt: a reducer such as `add_messages` would rebuild them from the dicts, and
    not faithfully."""

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        found = await super().aget_tuple(config)
        # LangGraph reads the latest state live, with the step's finished tasks applied.
        latest = "checkpoint_id" not in config.get("configurable", {})
        if found is not None and _PLAIN_MODELS.get() and _reduced_on_read(found, latest=latest):
            with plain_models(False):
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
            if _PLAIN_MODELS.get() and _reduced_on_read(found, latest=False):
                with plain_models(False):
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
