"""Threads in `langgraph_server.threads`, with state snapshots in `thread_states`."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.schemas.common import utcnow
from agent_runtime.schemas.threads import Thread, ThreadSortBy
from agent_runtime.storage.base import (
    Owner,
    Page,
    Sort,
    StateSnapshotRecord,
    ThreadFilter,
    ThreadStateUpdate,
)
from agent_runtime.storage.postgres.common import (
    METADATA_CONTAINS,
    Where,
    json_object,
    order,
)
from agent_runtime.storage.postgres.connection import Pool

# The columns `insert_params` fills, in its order.
INSERT_INTO = """INSERT INTO langgraph_server.threads
  (id, metadata, config, status, values, interrupts, created_at, updated_at)"""
INSERT = f"""
{INSERT_INTO}
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""

SELECT = sql.SQL("SELECT * FROM langgraph_server.threads WHERE {where}")
SELECT_METADATA = sql.SQL("SELECT metadata FROM langgraph_server.threads WHERE {where}")
SELECT_PAGE = sql.SQL(
    "SELECT * FROM langgraph_server.threads WHERE {where}"
    " ORDER BY {column} {order}, id {order} LIMIT %s OFFSET %s"
)
COUNT = sql.SQL("SELECT count(*) AS n FROM langgraph_server.threads WHERE {where}")
MERGE_METADATA = sql.SQL(
    "UPDATE langgraph_server.threads SET metadata = metadata || %s, updated_at = %s"
    " WHERE {where} RETURNING *"
)
# The thread with its runs (the shared `runs` table has no foreign key to cascade them) and its
# checkpoints, channel values and pending writes (the checkpointer's tables, which name the
# thread by id only): all of it, or nothing when the thread is not the caller's.
# TODO(cross-replica-delete): a run ending on another replica locks its row and then the
# thread's, in a statement that can meet this one in the other order; Postgres then ends one
# of them (a 500 or a run ended in error). This replica waits for its own runs first.
DELETE = sql.SQL("""
WITH thread AS (
  DELETE FROM langgraph_server.threads WHERE {where} RETURNING id
), runs AS (
  DELETE FROM langgraph_server.runs WHERE thread_id IN (SELECT id FROM thread)
), its_writes AS (
  DELETE FROM checkpoint_writes WHERE thread_id = %s AND EXISTS (SELECT 1 FROM thread)
), its_blobs AS (
  DELETE FROM checkpoint_blobs WHERE thread_id = %s AND EXISTS (SELECT 1 FROM thread)
), its_checkpoints AS (
  DELETE FROM checkpoints WHERE thread_id = %s AND EXISTS (SELECT 1 FROM thread)
)
SELECT id FROM thread
""")

# NULL means "leave as is".
UPDATE_STATE = """
UPDATE langgraph_server.threads SET
  status = COALESCE(%s, status),
  values = COALESCE(%s, values),
  interrupts = COALESCE(%s, interrupts),
  updated_at = %s
WHERE id = %s
RETURNING *"""
# The sibling runtime's history row for a thread updated by the CTE named `updated`.
INSERT_SNAPSHOT = """INSERT INTO langgraph_server.thread_states
    (thread_id, values, metadata, next, tasks, checkpoint_id, parent_checkpoint, interrupts)
  SELECT id, %s::jsonb, %s::jsonb, %s::text[], %s::jsonb, %s::text, %s::jsonb, %s::jsonb
  FROM updated"""
# The same update and its history row, in one round trip.
UPDATE_STATE_WITH_SNAPSHOT = f"""
WITH updated AS ({UPDATE_STATE}
), snapshot AS (
  {INSERT_SNAPSHOT}
)
SELECT * FROM updated
"""

BY_ID = sql.SQL("id = %s")
BY_IDS = sql.SQL("id = ANY(%s)")
BY_STATUS = sql.SQL("status = %s")
VALUES_CONTAIN = sql.SQL("values @> %s")

SORT_COLUMNS: dict[str, sql.Composable] = {
    "thread_id": sql.SQL("id"),
    "status": sql.SQL("status"),
    "created_at": sql.SQL("created_at"),
    "updated_at": sql.SQL("updated_at"),
}


def thread_from_row(row: dict[str, Any]) -> Thread:
    return Thread.model_validate(
        {
            "thread_id": row["id"],
            "metadata": json_object(row["metadata"]),
            "config": json_object(row["config"]),
            "status": row["status"],
            "values": json_object(row["values"]),
            "interrupts": json_object(row["interrupts"]),
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def _filter(owner: Owner, where: ThreadFilter) -> Where:
    clauses = Where().owned(owner)
    if where.ids is not None:
        clauses.add(BY_IDS, list(where.ids))
    if where.status is not None:
        clauses.add(BY_STATUS, where.status)
    if where.metadata is not None:
        clauses.add(METADATA_CONTAINS, Jsonb(where.metadata))
    if where.values is not None:
        clauses.add(VALUES_CONTAIN, Jsonb(where.values))
    return clauses


def insert_params(thread: Thread) -> tuple[Any, ...]:
    """The parameters of `INSERT` for one thread."""
    return (
        thread.thread_id,
        Jsonb(thread.metadata),
        Jsonb(thread.config),
        thread.status,
        Jsonb(thread.values),
        Jsonb(thread.interrupts),
        thread.created_at,
        thread.updated_at,
    )


def snapshot_params(snapshot: StateSnapshotRecord) -> tuple[Any, ...]:
    return (
        Jsonb(snapshot.values),
        Jsonb(snapshot.metadata),
        list(snapshot.next),
        Jsonb(snapshot.tasks),
        snapshot.checkpoint_id,
        Jsonb(snapshot.parent_checkpoint) if snapshot.parent_checkpoint is not None else None,
        Jsonb(snapshot.interrupts),
    )


async def delete_where(pool: Pool, thread_id: str, where: Where) -> bool:
    """`DELETE` the thread `thread_id` if it matches `where` (which names it by id)."""
    params = [*where.params, thread_id, thread_id, thread_id]
    async with pool.connection() as conn:
        cur = await conn.execute(DELETE.format(where=where.sql()), params)
        return await cur.fetchone() is not None


class PostgresThreads:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def create(self, owner: Owner, thread: Thread) -> Thread | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(INSERT, insert_params(thread))).fetchone()
        return thread_from_row(row) if row is not None else None

    async def get(self, owner: Owner, thread_id: str) -> Thread | None:
        where = Where().add(BY_ID, thread_id).owned(owner)
        async with self._pool.connection() as conn:
            cur = await conn.execute(SELECT.format(where=where.sql()), where.params)
            row = await cur.fetchone()
        return thread_from_row(row) if row is not None else None

    async def metadata(self, owner: Owner, thread_id: str) -> dict[str, Any] | None:
        where = Where().add(BY_ID, thread_id).owned(owner)
        async with self._pool.connection() as conn:
            cur = await conn.execute(SELECT_METADATA.format(where=where.sql()), where.params)
            row = await cur.fetchone()
        return dict(row["metadata"]) if row is not None else None

    async def update_metadata(
        self, owner: Owner, thread_id: str, patch: dict[str, Any]
    ) -> Thread | None:
        where = Where().add(BY_ID, thread_id).owned(owner)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                MERGE_METADATA.format(where=where.sql()),
                [Jsonb(patch), utcnow(), *where.params],
            )
            row = await cur.fetchone()
        return thread_from_row(row) if row is not None else None

    async def update_state(self, thread_id: str, update: ThreadStateUpdate) -> Thread | None:
        params = (
            update.status,
            Jsonb(update.values) if update.values is not None else None,
            Jsonb(update.interrupts) if update.interrupts is not None else None,
            utcnow(),
            thread_id,
        )
        if update.snapshot is None:
            query, values = UPDATE_STATE, params
        else:
            query = UPDATE_STATE_WITH_SNAPSHOT
            values = (*params, *snapshot_params(update.snapshot))
        async with self._pool.connection() as conn:
            row = await (await conn.execute(query, values)).fetchone()
        return thread_from_row(row) if row is not None else None

    async def delete(self, owner: Owner, thread_id: str) -> bool:
        return await delete_where(self._pool, thread_id, Where().add(BY_ID, thread_id).owned(owner))

    async def search(
        self, owner: Owner, where: ThreadFilter, sort: Sort[ThreadSortBy], page: Page
    ) -> tuple[list[Thread], int]:
        clauses = _filter(owner, where)
        query = SELECT_PAGE.format(
            where=clauses.sql(),
            column=SORT_COLUMNS[sort.by],
            order=order(sort.order == "desc"),
        )
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, [*clauses.params, page.limit, page.offset])
            rows = await cur.fetchall()
            count = await conn.execute(COUNT.format(where=clauses.sql()), clauses.params)
            total = await count.fetchone()
        return [thread_from_row(r) for r in rows], int(total["n"]) if total else 0

    async def count(self, owner: Owner, where: ThreadFilter) -> int:
        clauses = _filter(owner, where)
        async with self._pool.connection() as conn:
            cur = await conn.execute(COUNT.format(where=clauses.sql()), clauses.params)
            row = await cur.fetchone()
        return int(row["n"]) if row else 0
