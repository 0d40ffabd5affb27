from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver

from agent_runtime.config import Settings
from agent_runtime.runs.checkpoints import MemoryCheckpointer
from agent_runtime.storage.base import AssistantRepository, RunRepository, ThreadRepository
from agent_runtime.storage.memory import MemoryAssistants, MemoryRuns, MemoryThreads
from agent_runtime.storage.postgres import Pool
from agent_runtime.storage.postgres.lifecycle import PostgresStorage, open_postgres

# Every table the repositories write, emptied between tests that share one database. The
# session's storage sweeps orphaned runs now and then, locking leases, runs and threads in that
# order; TRUNCATE locks its tables in the order listed, so it lists them in the same order and
# waits for a sweep instead of deadlocking with it.
TRUNCATE = """
TRUNCATE langgraph_server.agent_runtime_run_leases, langgraph_server.runs,
  langgraph_server.threads, langgraph_server.thread_states, langgraph_server.assistants,
  checkpoints, checkpoint_blobs, checkpoint_writes
"""


@dataclass
class Repositories:
    assistants: AssistantRepository
    threads: ThreadRepository
    runs: RunRepository
    checkpointer: BaseCheckpointSaver[Any]


def postgres_settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        database_pool_min_size=1,
        database_pool_max_size=4,
        database_connect_timeout=5,
    )


@pytest.fixture(scope="session")
async def postgres_storage(database_url: str) -> AsyncIterator[PostgresStorage]:
    """The Postgres storage on the session's database, migrated once."""
    async with open_postgres(postgres_settings(database_url), database_url) as storage:
        yield storage


@pytest.fixture
async def pool(postgres_storage: PostgresStorage) -> AsyncIterator[Pool]:
    async with postgres_storage.pool.connection() as conn:
        await conn.execute(TRUNCATE)
    yield postgres_storage.pool


@pytest.fixture(params=["memory", "postgres"])
def repos(request: pytest.FixtureRequest) -> Repositories:
    """The same repositories in memory and in Postgres (an emptied database)."""
    if request.param == "memory":
        checkpointer = MemoryCheckpointer()
        threads, assistants = MemoryThreads(checkpointer), MemoryAssistants()
        return Repositories(assistants, threads, MemoryRuns(threads, assistants), checkpointer)
    storage: PostgresStorage = request.getfixturevalue("postgres_storage")
    request.getfixturevalue("pool")
    return Repositories(storage.assistants, storage.threads, storage.runs, storage.checkpointer)
