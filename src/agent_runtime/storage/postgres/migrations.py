"""Schema set-up at start-up: the shared `langgraph_server` tables, this runtime's own tables
and indexes, then LangGraph's checkpoint tables.

The shared tables are created exactly as the sibling runtime creates them and are never
altered or dropped. Everything runs under one advisory lock, so servers (of either runtime)
starting together against a fresh database do not race each other's DDL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from agent_runtime.storage.postgres.connection import Pool

logger = logging.getLogger(__name__)

# Any fixed 64-bit number; the sibling runtime uses none in this range.
MIGRATION_LOCK_KEY = 0x6167_656E_7472_7431  # "agentrt1"
_LOCK_POLL_SECONDS = 0.1

# The sibling runtime's tables, as in its DDL.
SHARED_SCHEMA = """
CREATE SCHEMA IF NOT EXISTS langgraph_server;

CREATE TABLE IF NOT EXISTS langgraph_server.assistants (
  id          TEXT PRIMARY KEY,
  graph_id    TEXT NOT NULL,
  config      JSONB NOT NULL DEFAULT '{}',
  context     JSONB NOT NULL DEFAULT '{}',
  metadata    JSONB NOT NULL DEFAULT '{}',
  name        TEXT,
  description TEXT,
  version     INTEGER NOT NULL DEFAULT 1,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS langgraph_server.threads (
  id          TEXT PRIMARY KEY,
  metadata    JSONB NOT NULL DEFAULT '{}',
  config      JSONB NOT NULL DEFAULT '{}',
  status      TEXT NOT NULL DEFAULT 'idle',
  values      JSONB NOT NULL DEFAULT '{}',
  interrupts  JSONB NOT NULL DEFAULT '{}',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS langgraph_server.thread_states (
  id                SERIAL PRIMARY KEY,
  thread_id         TEXT NOT NULL REFERENCES langgraph_server.threads(id) ON DELETE CASCADE,
  values            JSONB NOT NULL DEFAULT '{}',
  metadata          JSONB NOT NULL DEFAULT '{}',
  next              TEXT[] NOT NULL DEFAULT '{}',
  tasks             JSONB NOT NULL DEFAULT '[]',
  checkpoint_id     TEXT NOT NULL,
  parent_checkpoint JSONB,
  interrupts        JSONB NOT NULL DEFAULT '[]',
  created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_thread_states_thread_id
  ON langgraph_server.thread_states (thread_id, created_at DESC);

CREATE TABLE IF NOT EXISTS langgraph_server.runs (
  id                 TEXT PRIMARY KEY,
  thread_id          TEXT NOT NULL,
  assistant_id       TEXT NOT NULL,
  status             TEXT NOT NULL DEFAULT 'pending',
  metadata           JSONB NOT NULL DEFAULT '{}',
  kwargs             JSONB NOT NULL DEFAULT '{}',
  multitask_strategy TEXT NOT NULL DEFAULT 'reject',
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS idx_runs_thread_id
  ON langgraph_server.runs (thread_id, created_at DESC);

CREATE TABLE IF NOT EXISTS langgraph_server.store_items (
  namespace  TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      JSONB NOT NULL DEFAULT '{}',
  owner_id   TEXT NOT NULL,
  metadata   JSONB NOT NULL DEFAULT '{}',
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, key, owner_id)
);

CREATE TABLE IF NOT EXISTS langgraph_server.crons (
  id            TEXT PRIMARY KEY,
  assistant_id  TEXT,
  thread_id     TEXT,
  end_time      TIMESTAMPTZ,
  schedule      TEXT NOT NULL,
  user_id       TEXT,
  payload       JSONB NOT NULL DEFAULT '{}',
  next_run_date TIMESTAMPTZ,
  metadata      JSONB NOT NULL DEFAULT '{}',
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
"""

CREATE_VERSIONS_TABLE = """
CREATE TABLE IF NOT EXISTS langgraph_server.agent_runtime_migrations (
  version    INTEGER PRIMARY KEY,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

SELECT_APPLIED_VERSIONS = "SELECT version FROM langgraph_server.agent_runtime_migrations"
RECORD_VERSION = "INSERT INTO langgraph_server.agent_runtime_migrations (version) VALUES (%s)"

# This runtime's own schema changes. Append only: a released entry is never edited, since
# databases record it as applied by its position.
MIGRATIONS: tuple[str, ...] = (
    # Searches: metadata containment (`@>`) through GIN, sorting through btree. Indexes are
    # additions the sibling runtime does not notice.
    """
    CREATE INDEX IF NOT EXISTS agent_runtime_assistants_metadata
      ON langgraph_server.assistants USING gin (metadata jsonb_path_ops);
    CREATE INDEX IF NOT EXISTS agent_runtime_assistants_graph_id
      ON langgraph_server.assistants (graph_id);
    CREATE INDEX IF NOT EXISTS agent_runtime_assistants_created_at
      ON langgraph_server.assistants (created_at);
    CREATE INDEX IF NOT EXISTS agent_runtime_assistants_updated_at
      ON langgraph_server.assistants (updated_at);
    CREATE INDEX IF NOT EXISTS agent_runtime_threads_metadata
      ON langgraph_server.threads USING gin (metadata jsonb_path_ops);
    CREATE INDEX IF NOT EXISTS agent_runtime_threads_created_at
      ON langgraph_server.threads (created_at);
    CREATE INDEX IF NOT EXISTS agent_runtime_threads_updated_at
      ON langgraph_server.threads (updated_at);
    CREATE INDEX IF NOT EXISTS agent_runtime_threads_status
      ON langgraph_server.threads (status);
    CREATE INDEX IF NOT EXISTS agent_runtime_runs_active
      ON langgraph_server.runs (status) WHERE status IN ('pending', 'running');
    """,
    # Store items: namespace prefix search (`namespace LIKE '{a.b%'`) per owner.
    """
    CREATE INDEX IF NOT EXISTS agent_runtime_store_items_prefix
      ON langgraph_server.store_items (owner_id, namespace text_pattern_ops);
    CREATE INDEX IF NOT EXISTS agent_runtime_store_items_updated_at
      ON langgraph_server.store_items (owner_id, updated_at DESC);
    """,
    # Crash recovery: which server process executes each active run. A process holds an
    # advisory lock (class RUN_LEASE_LOCK_CLASS, key = its instance key) for as long as it
    # lives; a lease whose lock nobody holds belongs to a dead process.
    """
    CREATE TABLE IF NOT EXISTS langgraph_server.agent_runtime_run_leases (
      run_id       TEXT PRIMARY KEY
                   REFERENCES langgraph_server.runs(id) ON DELETE CASCADE,
      instance_key INTEGER NOT NULL,
      created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    CREATE INDEX IF NOT EXISTS agent_runtime_run_leases_instance
      ON langgraph_server.agent_runtime_run_leases (instance_key);
    """,
    # GIN's pending list makes every search scan the entries waiting there to be merged
    # (milliseconds after a burst of inserts, until vacuum): merge each insert at once.
    """
    ALTER INDEX langgraph_server.agent_runtime_threads_metadata SET (fastupdate = off);
    ALTER INDEX langgraph_server.agent_runtime_assistants_metadata SET (fastupdate = off);
    """,
)

TRY_LOCK = "SELECT pg_try_advisory_lock(%s) AS locked"
UNLOCK = "SELECT pg_advisory_unlock(%s)"


@asynccontextmanager
async def _migration_lock(pool: Pool) -> AsyncIterator[None]:
    # Poll with try-lock rather than block in pg_advisory_lock: a session blocked there sits
    # in an open transaction, and the checkpointer's CREATE INDEX CONCURRENTLY in the lock
    # holder would wait for that transaction to end: a deadlock.
    async with pool.connection() as conn:
        while True:
            row = await (await conn.execute(TRY_LOCK, (MIGRATION_LOCK_KEY,))).fetchone()
            if row is not None and row["locked"]:
                break
            await asyncio.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            await conn.execute(UNLOCK, (MIGRATION_LOCK_KEY,))


async def migrate(pool: Pool) -> None:
    """Create or upgrade every table this runtime uses; safe to run concurrently."""
    async with _migration_lock(pool):
        async with pool.connection() as conn, conn.transaction():
            await conn.execute(SHARED_SCHEMA)
            await conn.execute(CREATE_VERSIONS_TABLE)
            rows = await (await conn.execute(SELECT_APPLIED_VERSIONS)).fetchall()
            applied = {row["version"] for row in rows}
            for version, statement in enumerate(MIGRATIONS, start=1):
                if version in applied:
                    continue
                await conn.execute(statement)
                await conn.execute(RECORD_VERSION, (version,))
                logger.info("migration applied", extra={"version": version})
        # Outside the transaction: its migrations create indexes CONCURRENTLY.
        await AsyncPostgresSaver(pool).setup()
