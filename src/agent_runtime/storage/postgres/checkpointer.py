"""LangGraph's Postgres checkpointer, as the runtime uses it: the library's tables and
serializer unchanged (the sibling runtime reads them), secrets kept out of checkpoint
metadata, and deletion of the checkpoints one run wrote (for rollback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from agent_runtime.runs.checkpoints import (
    CheckpointSerializer,
    PlainReads,
    channel_values,
    scrubbed_config,
)

# TODO(checkpoint-run-index): checkpoints has no index on metadata->>'run_id' and the table
# belongs to langgraph-checkpoint-postgres, so a rollback scans it; rollbacks are rare.
DELETE_RUN_WRITES = """
DELETE FROM checkpoint_writes AS w USING checkpoints AS c
WHERE c.metadata->>'run_id' = ANY(%s)
  AND w.thread_id = c.thread_id
  AND w.checkpoint_ns = c.checkpoint_ns
  AND w.checkpoint_id = c.checkpoint_id
"""
DELETE_RUN_CHECKPOINTS = """
DELETE FROM checkpoints WHERE metadata->>'run_id' = ANY(%s) RETURNING thread_id
"""
# Channel values only the deleted checkpoints referenced. Versions carry a random part, so a
# later write would not collide with them, but they would never be read again either.
DELETE_UNREFERENCED_BLOBS = """
DELETE FROM checkpoint_blobs AS b
WHERE b.thread_id = ANY(%s)
  AND NOT EXISTS (
    SELECT 1 FROM checkpoints AS c
    WHERE c.thread_id = b.thread_id
      AND c.checkpoint_ns = b.checkpoint_ns
      AND c.checkpoint->'channel_versions'->>b.channel = b.version
  )
"""
# A thread's checkpoints, channel values and pending writes in one statement (the library
# sends three).
DELETE_THREAD = """
WITH writes AS (
  DELETE FROM checkpoint_writes WHERE thread_id = %(thread_id)s
), blobs AS (
  DELETE FROM checkpoint_blobs WHERE thread_id = %(thread_id)s
)
DELETE FROM checkpoints WHERE thread_id = %(thread_id)s
"""


class PostgresCheckpointer(PlainReads, AsyncPostgresSaver):
    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        super().__init__(pool, serde=CheckpointSerializer())

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        # The library serializes every call on one asyncio lock, which a single shared
        # connection needs. On a pool each call takes its own connection, so concurrent runs
        # need not queue behind each other's round trips. LangGraph itself orders one
        # thread's checkpoint writes.
        if not isinstance(self.conn, AsyncConnectionPool) or self.pipe is not None:
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with self.conn.connection() as conn:
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with (
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=dict_row) as cur,
                ):
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur

    def _load_blobs(self, blob_values: list[tuple[bytes, bytes, bytes]]) -> dict[str, Any]:
        with channel_values():
            return super()._load_blobs(blob_values)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        # The sync `put` runs this coroutine on the loop, so both paths are scrubbed.
        return await super().aput(scrubbed_config(config), checkpoint, metadata, new_versions)

    async def adelete_thread(self, thread_id: str) -> None:
        async with self._cursor() as cur:
            await cur.execute(DELETE_THREAD, {"thread_id": str(thread_id)})

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete every checkpoint (and its pending writes) written by these runs."""
        ids = list(run_ids)
        if not ids:
            return
        async with self._cursor() as cur, cur.connection.transaction():
            await cur.execute(DELETE_RUN_WRITES, (ids,))
            await cur.execute(DELETE_RUN_CHECKPOINTS, (ids,))
            threads = sorted({row["thread_id"] for row in await cur.fetchall()})
            if threads:
                await cur.execute(DELETE_UNREFERENCED_BLOBS, (threads,))
