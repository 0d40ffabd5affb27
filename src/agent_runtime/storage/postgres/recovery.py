"""Crash recovery: runs whose server process died are ended, and their threads freed.

Each server process picks an instance key and holds a session advisory lock on it, on a
connection of its own, for as long as it lives. Every run it creates gets a lease row naming
that key. When a process dies, PostgreSQL closes its sessions and drops the lock; a lease
whose lock nobody holds therefore belongs to a dead process. Any live process (at start-up,
then periodically) ends such runs with status `error` and sets their threads back to idle.

Runs without a lease (written by the sibling runtime) are never touched: their executor is
unknown.

TODO(lease-gap): if the database drops a live process's lock session, that process takes the
lock back within `keepalive_seconds`; a sweep by another process inside that window ends the
live process's runs early (the worker still records their real outcome when they finish).
TODO(crash-values): a recovered thread keeps the `values` mirrored after its last finished run;
checkpoints the crashed run wrote are served by the state endpoints, but mirroring them into
`threads.values` needs the graph, which this layer does not have.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

from psycopg import AsyncConnection, OperationalError
from psycopg.conninfo import make_conninfo
from psycopg.rows import DictRow, dict_row

from agent_runtime.storage.postgres.connection import APPLICATION_NAME, Pool

logger = logging.getLogger(__name__)

# First key of the two-key advisory lock form; the second is the instance key.
LEASE_LOCK_CLASS = 0x6172_7431  # "art1"
ORPHAN_REASON = "The server process executing this run stopped before the run ended"

TRY_LOCK = "SELECT pg_try_advisory_lock(%s, %s) AS locked"
PING = "SELECT 1"

# Leases whose instance lock is held by no session of this database. SKIP LOCKED lets two
# live servers sweep at once without waiting on, or double-ending, the same run.
END_ORPHANED_RUNS = f"""
WITH orphaned AS (
  SELECT lease.run_id
  FROM langgraph_server.agent_runtime_run_leases AS lease
  WHERE lease.instance_key <> %s
    AND NOT EXISTS (
      SELECT 1 FROM pg_locks AS lock
      WHERE lock.locktype = 'advisory'
        AND lock.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND lock.classid = {LEASE_LOCK_CLASS}::oid
        AND lock.objid = lease.instance_key::oid
        AND lock.objsubid = 2
        AND lock.granted
    )
  FOR UPDATE OF lease SKIP LOCKED
), ended AS (
  UPDATE langgraph_server.runs AS run SET status = 'error', updated_at = now()
  FROM orphaned
  WHERE run.id = orphaned.run_id AND run.status IN ('pending', 'running')
  RETURNING run.id, run.thread_id
), released AS (
  DELETE FROM langgraph_server.agent_runtime_run_leases AS lease
  USING orphaned WHERE lease.run_id = orphaned.run_id
)
SELECT id, thread_id FROM ended
"""

FREE_THREADS = """
UPDATE langgraph_server.threads AS thread SET status = 'idle', updated_at = now()
WHERE thread.id = ANY(%s) AND thread.status = 'busy'
  AND NOT EXISTS (
    SELECT 1 FROM langgraph_server.runs AS run
    WHERE run.thread_id = thread.id AND run.status IN ('pending', 'running')
  )
"""


async def end_orphaned_runs(pool: Pool, own_key: int) -> list[str]:
    """End the runs of dead processes; returns their ids."""
    async with pool.connection() as conn, conn.transaction():
        rows = await (await conn.execute(END_ORPHANED_RUNS, (own_key,))).fetchall()
        if rows:
            await conn.execute(FREE_THREADS, (sorted({r["thread_id"] for r in rows}),))
    for row in rows:
        logger.warning(
            "run ended: %s",
            ORPHAN_REASON,
            extra={"run_id": row["id"], "thread_id": row["thread_id"]},
        )
    return [row["id"] for row in rows]


class InstanceLease:
    """This process's liveness lock, kept on a dedicated connection, and the periodic sweep
    for other processes' orphaned runs."""

    def __init__(
        self, pool: Pool, *, keepalive_seconds: float = 2.0, sweep_seconds: float = 30.0
    ) -> None:
        self._pool = pool
        self._conninfo = make_conninfo(
            str(pool.conninfo), application_name=f"{APPLICATION_NAME}-lease"
        )
        self._keepalive = keepalive_seconds
        self._sweep = sweep_seconds
        self._conn: AsyncConnection[DictRow] | None = None
        self._task: asyncio.Task[None] | None = None
        self.key = 0

    async def start(self) -> None:
        self._conn = await self._connect()
        while True:
            self.key = secrets.randbelow(2**31 - 2) + 1
            if await self._lock(self._conn):
                break
        await end_orphaned_runs(self._pool, self.key)
        self._task = asyncio.create_task(self._maintain(), name="run-lease")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._conn is not None:
            # Closing the session releases the lock: this process's runs are settled by now.
            await self._conn.close()

    async def _connect(self) -> AsyncConnection[DictRow]:
        return await AsyncConnection.connect(
            self._conninfo, autocommit=True, row_factory=dict_row, prepare_threshold=None
        )

    async def _lock(self, conn: AsyncConnection[DictRow]) -> bool:
        row = await (await conn.execute(TRY_LOCK, (LEASE_LOCK_CLASS, self.key))).fetchone()
        return bool(row and row["locked"])

    async def _maintain(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + self._sweep
        while True:
            await asyncio.sleep(self._keepalive)
            try:
                await self._hold()
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self._sweep
                    await end_orphaned_runs(self._pool, self.key)
            except Exception:
                # The database may be away; try again on the next tick.
                logger.warning("run lease upkeep failed", exc_info=True)

    async def _hold(self) -> None:
        """Check the lock's session; if the server dropped it, take the lock again."""
        conn = self._conn
        if conn is not None and not conn.closed:
            try:
                await conn.execute(PING)
                return
            except OperationalError:
                await conn.close()
        self._conn = await self._connect()
        if not await self._lock(self._conn):
            # TODO(lease-takeover): another session took the key while ours was gone; the
            # key is random in 2**31, so this needs a collision and is only logged.
            logger.error("run lease lock lost", extra={"instance_key": self.key})
