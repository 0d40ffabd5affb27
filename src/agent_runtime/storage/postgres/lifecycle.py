"""Opening the Postgres storage: pool, migrations, crash recovery; closing it in reverse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from psycopg import OperationalError
from psycopg_pool import PoolTimeout

from agent_runtime.config import Settings
from agent_runtime.errors import ServiceUnavailable
from agent_runtime.storage.postgres.assistants import PostgresAssistants
from agent_runtime.storage.postgres.checkpointer import PostgresCheckpointer
from agent_runtime.storage.postgres.connection import Pool, describe_server, open_pool
from agent_runtime.storage.postgres.migrations import migrate
from agent_runtime.storage.postgres.recovery import InstanceLease
from agent_runtime.storage.postgres.runs import PostgresRuns
from agent_runtime.storage.postgres.threads import PostgresThreads

# /health answers within this, database down or not.
HEALTH_TIMEOUT = 3.0


@dataclass
class PostgresStorage:
    pool: Pool
    assistants: PostgresAssistants
    threads: PostgresThreads
    runs: PostgresRuns
    checkpointer: PostgresCheckpointer

    async def check_health(self) -> None:
        """Raise ServiceUnavailable unless a pooled connection answers."""
        try:
            async with self.pool.connection(timeout=HEALTH_TIMEOUT) as conn:
                await conn.execute("SELECT 1")
        except (OperationalError, PoolTimeout):
            raise ServiceUnavailable(
                f"Database unavailable ({describe_server(str(self.pool.conninfo))})"
            ) from None


@asynccontextmanager
async def open_postgres(settings: Settings, url: str) -> AsyncIterator[PostgresStorage]:
    async with open_pool(
        url,
        min_size=settings.database_pool_min_size,
        max_size=settings.database_pool_max_size,
        checkout_timeout=settings.database_pool_timeout,
        connect_timeout=settings.database_connect_timeout,
        prepared_statements=settings.database_prepared_statements,
    ) as pool:
        await migrate(pool)
        lease = InstanceLease(pool)
        await lease.start()
        try:
            yield PostgresStorage(
                pool=pool,
                assistants=PostgresAssistants(pool),
                threads=PostgresThreads(pool),
                runs=PostgresRuns(pool, lease.key),
                checkpointer=PostgresCheckpointer(pool),
            )
        finally:
            await lease.stop()
