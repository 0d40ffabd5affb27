"""Runs in `langgraph_server.runs`; each active run also holds a lease naming the server
process that executes it, so a crashed process's runs can be found (see recovery.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.common import Json, utcnow
from agent_runtime.schemas.runs import Run, RunStatus
from agent_runtime.schemas.threads import Thread
from agent_runtime.storage.base import ACTIVE_RUN_STATUSES, Owner, Page, ThreadStateUpdate
from agent_runtime.storage.postgres.assistants import assistant_from_row
from agent_runtime.storage.postgres.common import Where, json_object
from agent_runtime.storage.postgres.connection import Pool
from agent_runtime.storage.postgres.threads import INSERT_INTO as THREAD_INSERT_INTO
from agent_runtime.storage.postgres.threads import (
    INSERT_SNAPSHOT,
    delete_where,
    insert_params,
    snapshot_params,
)

# The run's row, one for each row of the statement's `{source}`, with its lease.
RUN_AND_LEASE = """run AS (
  INSERT INTO langgraph_server.runs
    (id, thread_id, assistant_id, status, metadata, kwargs, multitask_strategy,
     created_at, updated_at)
  SELECT %s, %s, %s, %s, %s, {kwargs}, %s, %s, %s FROM {source}
  RETURNING id
), lease AS (
  INSERT INTO langgraph_server.agent_runtime_run_leases (run_id, instance_key)
  SELECT id, %s FROM run
)"""
# The run, its lease and its thread turning busy in one statement: a run is never visible
# without its lease, nor its thread idle while it waits.
INSERT = f"""
WITH {RUN_AND_LEASE.format(kwargs="%s", source="(SELECT) AS one")}, thread AS (
  UPDATE langgraph_server.threads
  SET status = 'busy', metadata = metadata || %s, updated_at = %s
  WHERE id = %s
)
SELECT id FROM run
"""
# A new run reads its assistant in the statement that stores it (a request needs one round
# trip before its first event), and takes the assistant's graph into its kwargs and its
# thread's metadata. Without an assistant the caller may read, nothing is stored; the
# statement answers with the assistant and whether the run went in.
ASSISTANT = """assistant AS (
  SELECT * FROM langgraph_server.assistants WHERE {assistant}
)"""
WITH_GRAPH = "%s || jsonb_build_object('graph_id', assistant.graph_id)"
ANSWER = "SELECT assistant.*, EXISTS (SELECT 1 FROM run) AS stored FROM assistant"
# A stateless run's new thread goes in with it, as given but for the graph; an id already
# taken fails it.
INSERT_WITH_THREAD = sql.SQL(f"""
WITH {ASSISTANT}, new_thread AS (
  {THREAD_INSERT_INTO}
  SELECT %s, {WITH_GRAPH}, %s, %s, %s, %s, %s, %s FROM assistant
  RETURNING id
), {RUN_AND_LEASE.format(kwargs=WITH_GRAPH, source="assistant, new_thread")}
{ANSWER}
""")
# A run on the owner's thread, if no run is active on it (it is not busy): the thread turns
# busy and the run and its lease go in, or nothing changes. The row lock the UPDATE takes makes
# a concurrent create wait and then see the thread busy.
INSERT_IF_IDLE = sql.SQL(f"""
WITH {ASSISTANT}, thread AS (
  UPDATE langgraph_server.threads
  SET status = 'busy',
    metadata = metadata || %s || jsonb_build_object('graph_id', (SELECT graph_id FROM assistant)),
    updated_at = %s
  WHERE {{where}} AND status <> 'busy' AND EXISTS (SELECT 1 FROM assistant)
  RETURNING id
), {RUN_AND_LEASE.format(kwargs=WITH_GRAPH, source="assistant, thread")}
{ANSWER}
""")

SELECT = sql.SQL("SELECT * FROM langgraph_server.runs WHERE {where}")
LIST_FOR_THREAD = sql.SQL(
    "SELECT * FROM langgraph_server.runs WHERE {where}"
    " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s"
)
ACTIVE = """
SELECT * FROM langgraph_server.runs
WHERE thread_id = %s AND status = ANY(%s)
ORDER BY created_at, id
"""
# A run's new status; a run that ends gives its lease back.
STATUS_CTES = """run AS (
  UPDATE langgraph_server.runs SET status = %s, updated_at = %s WHERE id = %s RETURNING *
), released AS (
  DELETE FROM langgraph_server.agent_runtime_run_leases
  WHERE run_id = %s AND NOT (%s::text = ANY(%s::text[]))
)"""
SET_STATUS = f"WITH {STATUS_CTES}\nSELECT * FROM run"
START = f"WITH {STATUS_CTES}\nSELECT id FROM run"
# A run's end is one statement: `STATUS_CTES` (when it gets a status), its thread's state
# (busy while another run waits) and the sibling runtime's history row. Every part sees the
# rows as they were before it, so the run itself still counts as active and is left out by id.
FINISH_THREAD = """
updated AS (
  UPDATE langgraph_server.threads SET
    status = CASE WHEN EXISTS (
      SELECT 1 FROM langgraph_server.runs
      WHERE thread_id = %s AND id <> %s AND status = ANY(%s)
    ) THEN 'busy' ELSE COALESCE(%s, status) END,
    values = COALESCE(%s, values),
    interrupts = COALESCE(%s, interrupts),
    updated_at = %s
  WHERE id = %s
  RETURNING id
)"""
FINISH_SNAPSHOT = f""", snapshot AS (
  {INSERT_SNAPSHOT}
)"""
DELETE = "DELETE FROM langgraph_server.runs WHERE id = %s RETURNING id"

BY_ID = sql.SQL("id = %s")
BY_THREAD = sql.SQL("thread_id = %s")
BY_STATUS = sql.SQL("status = %s")
# On the thread's row: no run but the named one is active on it.
NO_OTHER_ACTIVE_RUN = sql.SQL(
    "NOT EXISTS (SELECT 1 FROM langgraph_server.runs"
    " WHERE thread_id = %s AND id <> %s AND status = ANY(%s))"
)

_ACTIVE = list(ACTIVE_RUN_STATUSES)


def run_from_row(row: dict[str, Any]) -> Run:
    return Run.model_validate(
        {
            "run_id": row["id"],
            "thread_id": row["thread_id"],
            "assistant_id": row["assistant_id"],
            "status": row["status"],
            "metadata": json_object(row["metadata"]),
            "kwargs": json_object(row["kwargs"]),
            "multitask_strategy": row["multitask_strategy"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def _run_params(run: Run, instance_key: int) -> tuple[Any, ...]:
    """The parameters of `RUN_AND_LEASE` (and of the run in `INSERT_IF_IDLE`)."""
    return (
        run.run_id,
        run.thread_id,
        run.assistant_id,
        run.status,
        Jsonb(run.metadata),
        Jsonb(run.kwargs),
        run.multitask_strategy,
        run.created_at,
        run.updated_at,
        instance_key,
    )


def _readable_assistant(owner: Owner, assistant_id: str) -> Where:
    return Where().add(BY_ID, assistant_id).readable(owner)


def _status_params(run_id: str, status: RunStatus, now: datetime) -> list[Any]:
    """The parameters of `STATUS_CTES`."""
    return [status, now, run_id, run_id, status, _ACTIVE]


class PostgresRuns:
    keeps_history = True

    def __init__(self, pool: Pool, instance_key: int) -> None:
        self._pool = pool
        self._instance_key = instance_key

    async def create(self, run: Run, thread_metadata: Json | None = None) -> Run:
        params = (
            *_run_params(run, self._instance_key),
            Jsonb(thread_metadata or {}),
            utcnow(),
            run.thread_id,
        )
        async with self._pool.connection() as conn:
            row = await (await conn.execute(INSERT, params)).fetchone()
        assert row is not None  # INSERT … RETURNING without a conflict clause
        return run  # as stored: every column comes from it

    async def create_with_thread(
        self, owner: Owner, run: Run, new_thread: Thread
    ) -> Assistant | None:
        assistant = _readable_assistant(owner, run.assistant_id)
        query = INSERT_WITH_THREAD.format(assistant=assistant.sql())
        params = (
            *assistant.params,
            *insert_params(new_thread),
            *_run_params(run, self._instance_key),
        )
        found, _ = await self._create(query, params)
        return found

    async def create_if_idle(
        self, owner: Owner, run: Run, thread_metadata: Json
    ) -> tuple[Assistant | None, bool]:
        assistant = _readable_assistant(owner, run.assistant_id)
        where = Where().add(BY_ID, run.thread_id).owned(owner)  # on the thread's row
        query = INSERT_IF_IDLE.format(assistant=assistant.sql(), where=where.sql())
        params = (
            *assistant.params,
            Jsonb(thread_metadata),
            utcnow(),
            *where.params,
            *_run_params(run, self._instance_key),
        )
        return await self._create(query, params)

    async def _create(
        self, query: sql.Composed, params: tuple[Any, ...]
    ) -> tuple[Assistant | None, bool]:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(query, params)).fetchone()
        if row is None:
            return None, False
        return assistant_from_row(row), bool(row["stored"])

    async def get(self, owner: Owner, run_id: str, thread_id: str | None = None) -> Run | None:
        where = Where().add(BY_ID, run_id).owned(owner)
        if thread_id is not None:
            where.add(BY_THREAD, thread_id)
        async with self._pool.connection() as conn:
            cur = await conn.execute(SELECT.format(where=where.sql()), where.params)
            row = await cur.fetchone()
        return run_from_row(row) if row is not None else None

    async def list_for_thread(
        self, owner: Owner, thread_id: str, status: RunStatus | None, page: Page
    ) -> list[Run]:
        where = Where().add(BY_THREAD, thread_id).owned(owner)
        if status is not None:
            where.add(BY_STATUS, status)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                LIST_FOR_THREAD.format(where=where.sql()),
                [*where.params, page.limit, page.offset],
            )
            rows = await cur.fetchall()
        return [run_from_row(r) for r in rows]

    async def active(self, thread_id: str) -> list[Run]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(ACTIVE, (thread_id, _ACTIVE))).fetchall()
        return [run_from_row(r) for r in rows]

    async def start(self, run_id: str) -> bool:
        params = _status_params(run_id, "running", utcnow())
        async with self._pool.connection() as conn:
            return await (await conn.execute(START, params)).fetchone() is not None

    async def set_status(self, run_id: str, status: RunStatus) -> Run | None:
        params = _status_params(run_id, status, utcnow())
        async with self._pool.connection() as conn:
            row = await (await conn.execute(SET_STATUS, params)).fetchone()
        return run_from_row(row) if row is not None else None

    async def finish(
        self, run_id: str, status: RunStatus | None, thread_id: str, update: ThreadStateUpdate
    ) -> None:
        now = utcnow()
        query = "WITH "
        params: list[Any] = []
        if status is not None:
            query += STATUS_CTES + ", "
            params += _status_params(run_id, status, now)
        query += FINISH_THREAD
        params += [
            thread_id,
            run_id,
            _ACTIVE,
            update.status,
            Jsonb(update.values) if update.values is not None else None,
            Jsonb(update.interrupts) if update.interrupts is not None else None,
            now,
            thread_id,
        ]
        if update.snapshot is not None:
            query += FINISH_SNAPSHOT
            params += snapshot_params(update.snapshot)
        query += "\nSELECT 1"
        async with self._pool.connection() as conn:
            await conn.execute(query, params)

    async def delete(self, run_id: str) -> bool:
        async with self._pool.connection() as conn:
            return await (await conn.execute(DELETE, (run_id,))).fetchone() is not None

    async def delete_own_thread(self, run_id: str, thread_id: str) -> bool:
        where = Where().add(BY_ID, thread_id).add(NO_OTHER_ACTIVE_RUN, thread_id, run_id, _ACTIVE)
        return await delete_where(self._pool, thread_id, where)
