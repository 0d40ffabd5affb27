"""Opens the storage the settings ask for and closes it when the app stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
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
from agent_runtime.storage.memory_store import MemoryStoreItems
from agent_runtime.storage.postgres.connection import Pool
from agent_runtime.storage.postgres.lifecycle import open_postgres
from agent_runtime.storage.postgres.store import PostgresStoreItems


@dataclass
class Storage:
    assistants: AssistantRepository
    threads: ThreadRepository
    runs: RunRepository
    checkpointer: BaseCheckpointSaver[Any]
    store_items: StoreRepository | None
    # "memory" or "postgres", reported by /info and /health.
    persistence: str
    # Postgres only: the pool every repository shares, and the check /health runs.
    pool: Pool | None = None
    check_health: Callable[[], Awaitable[None]] | None = None


@asynccontextmanager
async def open_storage(settings: Settings) -> AsyncIterator[Storage]:
    if settings.database_url is not None:
        # Never falls back to memory: an unreachable database fails the start-up.
        async with open_postgres(settings, settings.database_url) as pg:
            yield Storage(
                assistants=pg.assistants,
                threads=pg.threads,
                runs=pg.runs,
                checkpointer=pg.checkpointer,
                store_items=PostgresStoreItems(pg.pool),
                persistence="postgres",
                pool=pg.pool,
                check_health=pg.check_health,
            )
        return
    checkpointer = MemoryCheckpointer()
    threads = MemoryThreads(checkpointer)
    assistants = MemoryAssistants()
    yield Storage(
        assistants=assistants,
        threads=threads,
        runs=MemoryRuns(threads, assistants),
        checkpointer=checkpointer,
        store_items=MemoryStoreItems(),
        persistence="memory",
    )
