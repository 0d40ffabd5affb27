"""Checkpointers as the runtime uses them: secrets kept out of checkpoint metadata, and
deletion of the checkpoints one run wrote (for rollback)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.memory import InMemorySaver

from agent_runtime.runs.secrets import scrub


def scrubbed_config(config: RunnableConfig) -> RunnableConfig:
    clean: dict[str, Any] = dict(config)
    for part in ("configurable", "metadata"):
        if clean.get(part):
            clean[part] = scrub(clean[part])
    return cast(RunnableConfig, clean)


class MemoryCheckpointer(InMemorySaver):
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
