"""PostgreSQL storage, sharing the `langgraph_server` schema with the sibling runtime."""

from agent_runtime.storage.postgres.assistants import PostgresAssistants
from agent_runtime.storage.postgres.checkpointer import PostgresCheckpointer
from agent_runtime.storage.postgres.connection import DatabaseUnavailable, Pool, open_pool
from agent_runtime.storage.postgres.migrations import migrate
from agent_runtime.storage.postgres.recovery import InstanceLease, end_orphaned_runs
from agent_runtime.storage.postgres.runs import PostgresRuns
from agent_runtime.storage.postgres.threads import PostgresThreads

__all__ = [
    "DatabaseUnavailable",
    "InstanceLease",
    "Pool",
    "PostgresAssistants",
    "PostgresCheckpointer",
    "PostgresRuns",
    "PostgresThreads",
    "end_orphaned_runs",
    "migrate",
    "open_pool",
]
