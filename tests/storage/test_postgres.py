"""What only the Postgres storage does: migrations, connection settings, crash recovery, the
checkpointer's run deletion, and the rows the sibling runtime reads."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

import psycopg
import pytest
from langgraph.graph import START, StateGraph
from psycopg.conninfo import conninfo_to_dict

from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.common import Config, utcnow
from agent_runtime.schemas.runs import Run
from agent_runtime.schemas.threads import Thread
from agent_runtime.storage.base import StateSnapshotRecord, ThreadStateUpdate
from agent_runtime.storage.postgres import (
    DatabaseUnavailable,
    InstanceLease,
    Pool,
    PostgresCheckpointer,
    PostgresRuns,
    PostgresThreads,
    end_orphaned_runs,
    migrate,
    open_pool,
)
from agent_runtime.storage.postgres.connection import normalize_conninfo, wait_for_server
from agent_runtime.storage.postgres.lifecycle import PostgresStorage
from agent_runtime.storage.postgres.migrations import MIGRATIONS
from tests.support.server import free_port


async def rows(pool: Pool, sql: str, *params: Any) -> list[dict[str, Any]]:
    async with pool.connection() as conn:
        return await (await conn.execute(sql, params)).fetchall()  # type: ignore[arg-type]


def new_thread(thread_id: str, status: str = "idle") -> Thread:
    now = utcnow()
    return Thread.model_validate(
        {
            "thread_id": thread_id,
            "metadata": {"owner": "u1"},
            "status": status,
            "created_at": now,
            "updated_at": now,
        }
    )


def new_run(run_id: str, thread_id: str, status: str = "running") -> Run:
    now = utcnow()
    return Run.model_validate(
        {
            "run_id": run_id,
            "thread_id": thread_id,
            "assistant_id": "a1",
            "status": status,
            "metadata": {"owner": "u1"},
            "created_at": now,
            "updated_at": now,
        }
    )


@pytest.mark.parametrize(
    ("url", "sslmode"),
    [
        ("postgresql://u@localhost/db", "disable"),
        ("postgresql://u@127.0.0.1:5433/db", "disable"),
        ("postgresql://u@127.0.0.1/db?sslmode=require", "require"),
        ("postgresql://u@db.example.com/db", None),
    ],
)
def test_local_servers_without_sslmode_connect_without_tls(url: str, sslmode: str | None) -> None:
    params = conninfo_to_dict(normalize_conninfo(url))
    assert params.get("sslmode") == sslmode
    assert params["application_name"] == "agent-runtime"


async def test_waiting_for_an_absent_server_gives_up_naming_it() -> None:
    port = free_port()
    with pytest.raises(DatabaseUnavailable, match=f"127.0.0.1:{port}/db"):
        await wait_for_server(f"postgresql://postgres@127.0.0.1:{port}/db", 1.0)


async def test_concurrent_migrations_on_a_fresh_database_all_succeed(
    fresh_database_url: str,
) -> None:
    async def open_and_migrate() -> list[dict[str, Any]]:
        async with open_pool(
            fresh_database_url, min_size=1, max_size=3, checkout_timeout=30, connect_timeout=5
        ) as pool:
            await migrate(pool)
            return await rows(
                pool,
                "SELECT version FROM langgraph_server.agent_runtime_migrations ORDER BY 1",
            )

    versions = list(range(1, len(MIGRATIONS) + 1))
    results = await asyncio.gather(*(open_and_migrate() for _ in range(3)))
    assert all([r["version"] for r in result] == versions for result in results)
    # Once more on a migrated database: nothing to do, nothing fails.
    assert [r["version"] for r in await open_and_migrate()] == versions


async def test_migrations_create_the_shared_and_checkpoint_tables(pool: Pool) -> None:
    tables = await rows(
        pool,
        "SELECT table_schema || '.' || table_name AS name FROM information_schema.tables"
        " WHERE table_schema IN ('langgraph_server', 'public')",
    )
    names = {t["name"] for t in tables}
    for table in ("assistants", "threads", "thread_states", "runs", "store_items", "crons"):
        assert f"langgraph_server.{table}" in names
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"):
        assert f"public.{table}" in names


async def test_metadata_search_uses_the_gin_index(pool: Pool) -> None:
    async with pool.connection() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO langgraph_server.threads (id, metadata)"
            " SELECT 't' || n, jsonb_build_object('owner', 'u' || (n % 50), 'n', n)"
            " FROM generate_series(1, 5000) AS n"
        )
        await conn.execute("ANALYZE langgraph_server.threads")
        plan = await (
            await conn.execute(
                "EXPLAIN SELECT * FROM langgraph_server.threads"
                ' WHERE metadata @> \'{"owner": "u7"}\' AND metadata @> \'{"n": 7}\''
            )
        ).fetchall()
    text = "\n".join(str(next(iter(line.values()))) for line in plan)
    assert "agent_runtime_threads_metadata" in text, text


async def test_state_update_with_a_snapshot_appends_a_thread_states_row(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    threads = postgres_storage.threads
    await threads.create("u1", new_thread("t1"))
    record = StateSnapshotRecord(
        values={"messages": [{"type": "ai", "content": "x"}]},
        next=["tools"],
        checkpoint_id="cp-1",
        metadata={"step": 2},
        tasks=[{"id": "task", "name": "tools"}],
        interrupts=[],
        parent_checkpoint={"checkpoint_id": "cp-0"},
    )
    await threads.update_state(
        "t1", ThreadStateUpdate(status="idle", values=record.values, snapshot=record)
    )
    await threads.update_state("t1", ThreadStateUpdate(status="busy"))
    (row,) = await rows(
        pool,
        "SELECT thread_id, values, metadata, next, tasks, checkpoint_id, parent_checkpoint,"
        " interrupts FROM langgraph_server.thread_states",
    )
    assert row == {
        "thread_id": "t1",
        "values": record.values,
        "metadata": {"step": 2},
        "next": ["tools"],
        "tasks": [{"id": "task", "name": "tools"}],
        "checkpoint_id": "cp-1",
        "parent_checkpoint": {"checkpoint_id": "cp-0"},
        "interrupts": [],
    }
    assert await threads.delete("u1", "t1")
    assert await rows(pool, "SELECT * FROM langgraph_server.thread_states") == []


async def test_json_columns_holding_a_json_string_are_read_as_objects(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO langgraph_server.threads (id, metadata, values) VALUES"
            " ('legacy', to_jsonb('{\"owner\": \"u1\"}'::text), to_jsonb('{\"a\": 1}'::text))"
        )
    thread = await postgres_storage.threads.get(None, "legacy")
    assert thread is not None
    assert (thread.metadata, thread.values) == ({"owner": "u1"}, {"a": 1})


async def test_runs_of_a_dead_process_are_ended_and_their_threads_freed(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    threads = postgres_storage.threads
    for thread_id in ("dead", "alive", "sibling", "shared"):
        await threads.create("u1", new_thread(thread_id, status="busy"))

    # An instance key whose advisory lock no session holds: its process is gone.
    dead = PostgresRuns(pool, 424242)
    await dead.create(new_run("r-dead", "dead"))
    await dead.create(new_run("r-dead-pending", "dead", status="pending"))
    await dead.create(new_run("r-dead-shared", "shared"))
    await postgres_storage.runs.create(new_run("r-alive", "alive"))
    await postgres_storage.runs.create(new_run("r-alive-shared", "shared", status="pending"))
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO langgraph_server.runs (id, thread_id, assistant_id, status)"
            " VALUES ('r-sibling', 'sibling', 'a1', 'running')"
        )

    other = InstanceLease(pool)
    await other.start()  # a second live process sweeps on start-up
    try:
        assert await end_orphaned_runs(pool, other.key) == []
    finally:
        await other.stop()

    statuses = {
        r["id"]: r["status"]
        for r in await rows(pool, "SELECT id, status FROM langgraph_server.runs")
    }
    assert statuses == {
        "r-dead": "error",
        "r-dead-pending": "error",
        "r-dead-shared": "error",
        "r-alive": "running",
        "r-alive-shared": "pending",
        "r-sibling": "running",
    }
    thread_statuses = {
        r["id"]: r["status"]
        for r in await rows(pool, "SELECT id, status FROM langgraph_server.threads")
    }
    assert thread_statuses == {"dead": "idle", "alive": "busy", "sibling": "busy", "shared": "busy"}
    leases = await rows(
        pool, "SELECT run_id FROM langgraph_server.agent_runtime_run_leases ORDER BY 1"
    )
    assert [lease["run_id"] for lease in leases] == ["r-alive", "r-alive-shared"]


async def test_ending_a_run_releases_its_lease(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    runs = postgres_storage.runs
    await runs.create(new_run("r1", "t1", status="pending"))
    await runs.set_status("r1", "running")
    assert len(await rows(pool, "SELECT * FROM langgraph_server.agent_runtime_run_leases")) == 1
    await runs.set_status("r1", "success")
    assert await rows(pool, "SELECT * FROM langgraph_server.agent_runtime_run_leases") == []


async def test_a_run_created_on_an_idle_thread_holds_a_lease(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    runs = postgres_storage.runs
    now = utcnow()
    await postgres_storage.assistants.create(
        None,
        Assistant(
            assistant_id="a1",
            graph_id="agent",
            config=Config(),
            context={},
            metadata={},
            name="a",
            description=None,
            version=1,
            created_at=now,
            updated_at=now,
        ),
    )
    await postgres_storage.threads.create(None, new_thread("t1"))
    _, stored = await runs.create_if_idle(None, new_run("r1", "t1", status="pending"), {})
    assert stored
    leases = await rows(pool, "SELECT run_id FROM langgraph_server.agent_runtime_run_leases")
    assert [lease["run_id"] for lease in leases] == ["r1"]


class Counter(TypedDict):
    steps: Annotated[list[str], operator.add]


def count_step(state: Counter) -> dict[str, Any]:
    return {"steps": [f"step {len(state.get('steps', []))}"]}


async def test_checkpoints_of_rolled_back_runs_are_deleted(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    checkpointer = postgres_storage.checkpointer
    builder = StateGraph(Counter).add_node("count", count_step)
    builder.add_edge(START, "count")
    graph = builder.compile(checkpointer=checkpointer)

    def config(run_id: str) -> Any:
        return {
            "configurable": {"thread_id": "t1", "run_id": run_id, "custom_api_key": "sk-x"},
        }

    await graph.ainvoke({"steps": []}, config("run-1"))
    await graph.ainvoke({"steps": []}, config("run-2"))
    assert (await graph.aget_state(config("x"))).values["steps"] == ["step 0", "step 1"]

    await checkpointer.adelete_for_runs(["run-2"])
    state = await graph.aget_state(config("x"))
    assert state.values["steps"] == ["step 0"]
    metadata = await rows(pool, "SELECT metadata FROM checkpoints WHERE thread_id = 't1'")
    assert {m["metadata"]["run_id"] for m in metadata} == {"run-1"}
    assert all("custom_api_key" not in m["metadata"] for m in metadata)
    unreferenced = await rows(
        pool,
        "SELECT b.channel FROM checkpoint_blobs b WHERE NOT EXISTS (SELECT 1 FROM checkpoints c"
        " WHERE c.checkpoint->'channel_versions'->>b.channel = b.version)",
    )
    assert unreferenced == []

    assert await rows(pool, "SELECT * FROM checkpoint_writes")
    await checkpointer.adelete_thread("t1")
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
        assert await rows(pool, f"SELECT * FROM {table}") == []
    assert isinstance(checkpointer, PostgresCheckpointer)
    assert isinstance(postgres_storage.threads, PostgresThreads)


async def test_deleting_a_thread_empties_the_checkpoint_tables_of_it(
    postgres_storage: PostgresStorage, pool: Pool
) -> None:
    builder = StateGraph(Counter).add_node("count", count_step)
    builder.add_edge(START, "count")
    graph = builder.compile(checkpointer=postgres_storage.checkpointer)
    for thread_id in ("t1", "t2"):
        await postgres_storage.threads.create(None, new_thread(thread_id))
        await graph.ainvoke({"steps": []}, {"configurable": {"thread_id": thread_id}})
    tables = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
    for table in tables:
        assert await rows(pool, f"SELECT * FROM {table} WHERE thread_id = 't1'")

    assert await postgres_storage.threads.delete(None, "t1")
    for table in tables:
        assert await rows(pool, f"SELECT * FROM {table} WHERE thread_id = 't1'") == []
        assert await rows(pool, f"SELECT * FROM {table} WHERE thread_id = 't2'")


@pytest.mark.parametrize("prepared", [True, False])
async def test_a_statement_run_repeatedly_is_prepared_unless_turned_off(
    database_url: str, prepared: bool
) -> None:
    async with (
        open_pool(
            database_url,
            min_size=1,
            max_size=1,
            checkout_timeout=10,
            connect_timeout=5,
            prepared_statements=prepared,
        ) as pool,
        pool.connection() as conn,
    ):
        for n in range(10):
            await conn.execute("SELECT %s::int AS n", (n,))
        cur = await conn.execute(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1%'"
        )
        found = await cur.fetchone()
    assert found is not None and found["n"] == (1 if prepared else 0)


async def test_a_table_changed_by_another_session_is_read_again_not_failed(
    fresh_database_url: str,
) -> None:
    """Another runtime's migration adds a column under a prepared `SELECT *`: the statement
    runs again unprepared instead of failing with a stale plan."""
    async with (
        open_pool(
            fresh_database_url, min_size=1, max_size=2, checkout_timeout=10, connect_timeout=5
        ) as pool,
        pool.connection() as conn,
    ):
        await conn.execute("CREATE TABLE shared_rows (id int PRIMARY KEY)")
        await conn.execute("INSERT INTO shared_rows VALUES (1)")
        for _ in range(6):  # prepared from the fifth run on
            await conn.execute("SELECT * FROM shared_rows WHERE id = %s", (1,))
        other = await psycopg.AsyncConnection.connect(fresh_database_url, autocommit=True)
        async with other:
            await other.execute("ALTER TABLE shared_rows ADD COLUMN note text DEFAULT 'x'")
        cur = await conn.execute("SELECT * FROM shared_rows WHERE id = %s", (1,))
        assert await cur.fetchall() == [{"id": 1, "note": "x"}]
        for _ in range(6):  # and prepared again afterwards
            cur = await conn.execute("SELECT * FROM shared_rows WHERE id = %s", (1,))
        assert await cur.fetchall() == [{"id": 1, "note": "x"}]
