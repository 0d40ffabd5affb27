"""The server process against a real PostgreSQL: restarts, crashes, a database that goes away,
concurrent start-ups, and rows shared with the sibling runtime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from psycopg.rows import dict_row

from agent_runtime.storage.postgres.migrations import MIGRATIONS
from tests.auth.tokens import SECRET, hs256
from tests.e2e.helpers import HUMAN
from tests.fakes.providers import FakeProvider, TextReply
from tests.support.server import ServerProcess, free_port
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh_provider(provider: FakeProvider) -> None:
    provider.reset()


def server_env(provider: FakeProvider, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "OPENAI_API_KEY": "sk-fake-openai",
        "OPENAI_BASE_URL": provider.openai_base_url,
        "MODEL_MAX_RETRIES": "0",
        **extra,
    }


def start_server(provider: FakeProvider, database_url: str, **extra: str) -> ServerProcess:
    return ServerProcess(env=server_env(provider, database_url, **extra)).start()


def query(database_url: str, sql: str, *params: Any) -> list[dict[str, Any]]:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def wait_until(condition: Callable[[], bool], within: float, message: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)


def snapshot(client: SyncLangGraphClient, thread_ids: list[str]) -> dict[str, Any]:
    """What a client sees of these threads, minus what changes on every read."""
    seen: dict[str, Any] = {}
    for thread_id in thread_ids:
        seen[thread_id] = {
            "thread": client.threads.get(thread_id),
            "state": client.threads.get_state(thread_id),
            "history": client.threads.get_history(thread_id, limit=50),
            "runs": client.runs.list(thread_id, limit=50),
        }
    seen["assistants"] = client.assistants.search(limit=50)
    seen["store"] = client.store.search_items(["org"], limit=50)
    return seen


def test_everything_survives_a_kill_and_restart(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    first = start_server(provider, fresh_database_url)
    try:
        client = get_sync_client(url=first.url)
        assistant = client.assistants.create(
            "agent", name="Keeper", metadata={"team": "a"}, config={"tags": ["t"]}
        )
        client.assistants.update(assistant["assistant_id"], metadata={"stage": "2"})
        threads = [client.threads.create(metadata={"n": n})["thread_id"] for n in range(2)]
        client.store.put_item(["org", "u1", "memories"], "fav", {"color": "blue"})
        client.store.put_item(["org", "u2"], "note", {"text": "hello"})
        for thread_id in threads:
            for text in ("hi", "again"):
                client.runs.wait(
                    thread_id,
                    assistant["assistant_id"],
                    input={"messages": [{"role": "user", "content": text}]},
                )
        before = snapshot(client, threads)
    finally:
        first.kill()

    second = start_server(provider, fresh_database_url)
    try:
        after = snapshot(get_sync_client(url=second.url), threads)
        assert after == before
        values = after[threads[0]]["thread"]["values"]
        assert [m["content"] for m in values["messages"]] == [
            "hi",
            "Echo: hi",
            "again",
            "Echo: again",
        ]
        assert after[threads[0]]["state"]["values"] == values
        assert [r["status"] for r in after[threads[0]]["runs"]] == ["success", "success"]
        assert {item["key"] for item in after["store"]["items"]} == {"fav", "note"}
        assert second.stop() == 0
    finally:
        second.kill()


def test_a_run_in_flight_at_a_crash_is_ended_on_restart(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    provider.script(TextReply("slow " * 40, chunks=40, delay_per_chunk=0.5))
    first = start_server(provider, fresh_database_url)
    try:
        client = get_sync_client(url=first.url)
        thread_id = client.threads.create()["thread_id"]
        run = client.runs.create(thread_id, "agent", input=HUMAN)
        wait_until(
            lambda: (
                client.runs.get(thread_id, run["run_id"])["status"] == "running"
                and len(provider.requests) > 0
            ),
            within=15,
            message="the run never started",
        )
        assert client.threads.get(thread_id)["status"] == "busy"
    finally:
        first.kill()

    second = start_server(provider, fresh_database_url)
    try:
        client = get_sync_client(url=second.url)
        assert client.runs.get(thread_id, run["run_id"])["status"] == "error"
        assert client.threads.get(thread_id)["status"] == "idle"
        # The thread takes new runs.
        values = client.runs.wait(thread_id, "agent", input=HUMAN)
        assert isinstance(values, dict)
        assert values["messages"][-1]["content"] == "Echo: hi"
        leases = query(
            fresh_database_url, "SELECT * FROM langgraph_server.agent_runtime_run_leases"
        )
        assert leases == []
    finally:
        second.kill()


SIBLING_ROWS = """
INSERT INTO langgraph_server.assistants (id, graph_id, config, metadata, name, version)
  VALUES ('0f8fad5bd9cb469fa16570867728950e', 'agent',
          '{"configurable": {"model_name": "openai:gpt-4o-mini"}}',
          '{"owner": "u-1111"}', 'py-made', 1);
INSERT INTO langgraph_server.threads (id, metadata, status, values)
  VALUES ('7c9e6679742540de944be07fc1f90ae7', '{"owner": "u-1111"}', 'idle',
          '{"messages": [{"type": "human", "content": "hi", "id": "m1",
            "additional_kwargs": {}, "response_metadata": {}, "name": null}]}');
"""


def test_rows_written_by_the_sibling_runtime_are_served(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    server = start_server(provider, fresh_database_url)
    try:
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute(SIBLING_ROWS)
        client = get_sync_client(url=server.url)
        assistant = client.assistants.get("0f8fad5bd9cb469fa16570867728950e")
        assert assistant["assistant_id"] == "0f8fad5bd9cb469fa16570867728950e"
        assert assistant["name"] == "py-made"
        assert assistant["config"] == {"configurable": {"model_name": "openai:gpt-4o-mini"}}
        assert assistant["context"] == {}
        assert assistant["metadata"] == {"owner": "u-1111"}
        assert assistant["version"] == 1
        assert assistant["created_at"].endswith("Z")
        found = client.assistants.search(metadata={"owner": "u-1111"})
        assert [a["assistant_id"] for a in found] == [assistant["assistant_id"]]

        thread = client.threads.get("7c9e6679742540de944be07fc1f90ae7")
        assert thread["status"] == "idle"
        assert thread["values"]["messages"][0]["content"] == "hi"
        assert thread["interrupts"] == {}
        assert client.threads.count(metadata={"owner": "u-1111"}) == 1

        values = client.runs.wait(
            "7c9e6679742540de944be07fc1f90ae7",
            "0f8fad5bd9cb469fa16570867728950e",
            input={"messages": [{"role": "user", "content": "there"}]},
        )
        assert isinstance(values, dict)
        assert values["messages"][-1]["content"] == "Echo: there"
    finally:
        server.kill()


def test_rows_this_runtime_writes_have_the_sibling_formats(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    server = start_server(provider, fresh_database_url)
    try:
        client = get_sync_client(url=server.url)
        assistant = client.assistants.create("agent", metadata={"k": "v"}, context={"c": 1})
        thread_id = client.threads.create(metadata={"k": "v"})["thread_id"]
        client.runs.wait(thread_id, assistant["assistant_id"], input=HUMAN)
        state = client.threads.get_state(thread_id)
    finally:
        server.kill()

    (row,) = query(
        fresh_database_url,
        "SELECT jsonb_typeof(config) AS config, jsonb_typeof(context) AS context,"
        " jsonb_typeof(metadata) AS metadata FROM langgraph_server.assistants WHERE id = %s",
        assistant["assistant_id"],
    )
    assert set(row.values()) == {"object"}
    (row,) = query(
        fresh_database_url,
        "SELECT jsonb_typeof(metadata) AS metadata, jsonb_typeof(config) AS config,"
        " jsonb_typeof(values) AS values, jsonb_typeof(interrupts) AS interrupts,"
        " values AS doc, status FROM langgraph_server.threads WHERE id = %s",
        thread_id,
    )
    assert row.pop("status") == "idle"
    messages = row.pop("doc")["messages"]
    assert set(row.values()) == {"object"}
    assert [m["type"] for m in messages] == ["human", "ai"]
    assert all("lc" not in m and "additional_kwargs" in m for m in messages)

    (run,) = query(
        fresh_database_url,
        "SELECT jsonb_typeof(metadata) AS metadata, jsonb_typeof(kwargs) AS kwargs, status"
        " FROM langgraph_server.runs WHERE thread_id = %s",
        thread_id,
    )
    assert run == {"metadata": "object", "kwargs": "object", "status": "success"}

    states = query(
        fresh_database_url,
        "SELECT checkpoint_id, values, next, jsonb_typeof(tasks) AS tasks,"
        " jsonb_typeof(interrupts) AS interrupts FROM langgraph_server.thread_states"
        " WHERE thread_id = %s",
        thread_id,
    )
    assert len(states) == 1
    assert states[0]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    assert states[0]["values"] == state["values"]
    assert (states[0]["next"], states[0]["tasks"], states[0]["interrupts"]) == (
        [],
        "array",
        "array",
    )

    checkpoints = query(
        fresh_database_url,
        "SELECT checkpoint_id, metadata FROM public.checkpoints WHERE thread_id = %s",
        thread_id,
    )
    assert state["checkpoint"]["checkpoint_id"] in {c["checkpoint_id"] for c in checkpoints}
    assert all("OPENAI_API_KEY" not in str(c["metadata"]) for c in checkpoints)


def test_two_servers_start_together_on_a_fresh_database(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    servers = [ServerProcess(env=server_env(provider, fresh_database_url)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            started = list(pool.map(lambda s: s.start(timeout=60), servers))
        for server in started:
            health = httpx.get(f"{server.url}/health")
            assert health.json() == {"status": "ok", "persistence": "postgres"}
        # Both see one set of system assistants, created once.
        ids = [
            {a["assistant_id"] for a in get_sync_client(url=s.url).assistants.search()}
            for s in started
        ]
        assert ids[0] == ids[1]
        versions = query(
            fresh_database_url,
            "SELECT version FROM langgraph_server.agent_runtime_migrations ORDER BY version",
        )
        assert [v["version"] for v in versions] == list(range(1, len(MIGRATIONS) + 1))
    finally:
        for server in servers:
            server.kill()


def test_connections_killed_by_the_database_are_replaced(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    server = start_server(provider, fresh_database_url)
    try:
        client = get_sync_client(url=server.url)
        thread_id = client.threads.create()["thread_id"]
        killed = query(
            fresh_database_url,
            "SELECT pid, pg_terminate_backend(pid) AS done FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name LIKE 'agent-runtime%%'",
        )
        assert killed and all(k["done"] for k in killed)
        # pg_terminate_backend only signals: wait until those backends have exited.
        pids = [k["pid"] for k in killed]
        wait_until(
            lambda: (
                not query(
                    fresh_database_url, "SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", pids
                )
            ),
            5,
            "terminated backends did not exit",
        )

        assert client.threads.get(thread_id)["thread_id"] == thread_id
        assert httpx.get(f"{server.url}/health").status_code == 200
        values = client.runs.wait(thread_id, "agent", input=HUMAN)
        assert isinstance(values, dict)
        assert values["messages"][-1]["content"] == "Echo: hi"
    finally:
        server.kill()


def test_health_is_503_while_the_database_is_away_and_recovers(
    provider: FakeProvider, database_url: str
) -> None:
    proxy = TcpProxy().start()
    proxied = database_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert proxied != database_url
    server = start_server(provider, proxied, DATABASE_POOL_TIMEOUT="2")
    try:
        assert httpx.get(f"{server.url}/health").status_code == 200
        proxy.stop()

        health = httpx.get(f"{server.url}/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["detail"].startswith("Database unavailable")
        missing = httpx.get(f"{server.url}/threads/whatever", timeout=10)
        assert missing.status_code == 503
        assert missing.json() == {"detail": "Database unavailable"}

        proxy.start()
        wait_until(
            lambda: httpx.get(f"{server.url}/health", timeout=10).status_code == 200,
            within=30,
            message="the server did not recover when the database returned",
        )
        created = httpx.post(f"{server.url}/threads", json={})
        assert created.status_code == 200
    finally:
        server.kill()
        proxy.stop()


def test_an_unreachable_database_fails_start_up_naming_the_host(
    provider: FakeProvider,
) -> None:
    port = free_port()
    server = ServerProcess(
        env=server_env(
            provider,
            f"postgresql://postgres@127.0.0.1:{port}/nowhere",
            DATABASE_CONNECT_TIMEOUT="2",
        )
    )
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="server exited early"):
        server.start(timeout=30)
    assert server.proc is not None
    assert server.proc.wait(5) != 0
    assert time.monotonic() - started < 20
    assert f"127.0.0.1:{port}" in server.log()


def test_rows_carry_their_owner_and_are_scoped_by_it(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    server = start_server(provider, fresh_database_url, SUPABASE_JWT_SECRET=SECRET)
    try:
        with psycopg.connect(fresh_database_url, autocommit=True) as conn:
            conn.execute(SIBLING_ROWS)

        def client_of(sub: str) -> SyncLangGraphClient:
            headers = {"Authorization": f"Bearer {hs256(sub=sub)}"}
            return get_sync_client(url=server.url, headers=headers)

        mine, theirs, sibling_user = client_of("u-1"), client_of("u-2"), client_of("u-1111")
        assistant = mine.assistants.create("agent", metadata={"owner": "forged"})
        thread_id = mine.threads.create()["thread_id"]
        mine.runs.wait(thread_id, assistant["assistant_id"], input=HUMAN)

        assert assistant["metadata"]["owner"] == "u-1"
        assert theirs.threads.search() == []
        assert theirs.assistants.count(metadata={"owner": "u-1"}) == 0
        with pytest.raises(httpx.HTTPStatusError) as missing:
            theirs.threads.get(thread_id)
        assert missing.value.response.status_code == 404
        # The sibling runtime's rows belong to their owner here too.
        sibling_threads = sibling_user.threads.search()
        assert [t["thread_id"] for t in sibling_threads] == ["7c9e6679742540de944be07fc1f90ae7"]
        assert mine.threads.count() == 1
    finally:
        server.kill()

    owners = query(
        fresh_database_url,
        "SELECT metadata->>'owner' AS owner FROM langgraph_server.assistants WHERE id = %s"
        " UNION ALL SELECT metadata->>'owner' FROM langgraph_server.threads WHERE id = %s"
        " UNION ALL SELECT metadata->>'owner' FROM langgraph_server.runs WHERE thread_id = %s",
        assistant["assistant_id"],
        thread_id,
        thread_id,
    )
    assert [o["owner"] for o in owners] == ["u-1", "u-1", "u-1"]


THREAD_ROWS = """
SELECT 'threads' AS kind FROM langgraph_server.threads WHERE id = %(t)s
UNION ALL SELECT 'runs' FROM langgraph_server.runs WHERE thread_id = %(t)s
UNION ALL SELECT 'leases' FROM langgraph_server.agent_runtime_run_leases l
  JOIN langgraph_server.runs r ON r.id = l.run_id WHERE r.thread_id = %(t)s
UNION ALL SELECT 'thread_states' FROM langgraph_server.thread_states WHERE thread_id = %(t)s
UNION ALL SELECT 'checkpoints' FROM checkpoints WHERE thread_id = %(t)s
UNION ALL SELECT 'checkpoint_blobs' FROM checkpoint_blobs WHERE thread_id = %(t)s
UNION ALL SELECT 'checkpoint_writes' FROM checkpoint_writes WHERE thread_id = %(t)s
"""


def test_a_stateless_run_leaves_no_rows_once_its_stream_ends(
    provider: FakeProvider, fresh_database_url: str
) -> None:
    def rows_of(thread_id: str) -> set[str]:
        with psycopg.connect(fresh_database_url, autocommit=True, row_factory=dict_row) as conn:
            return {row["kind"] for row in conn.execute(THREAD_ROWS, {"t": thread_id})}

    server = start_server(provider, fresh_database_url)
    try:
        thread_ids = {}
        for on_completion in ("delete", "keep"):
            body = {"assistant_id": "agent", "input": HUMAN, "on_completion": on_completion}
            with httpx.stream("POST", f"{server.url}/runs/stream", json=body) as response:
                assert response.status_code == 200
                events = [line for line in response.iter_lines() if line.startswith("event:")]
            assert events[-1] == "event: end"
            # /threads/{thread_id}/runs/{run_id}/stream
            thread_ids[on_completion] = response.headers["Location"].split("/")[2]
        # Checked as soon as the stream ends, with nothing to wait for.
        assert rows_of(thread_ids["delete"]) == set()
        assert rows_of(thread_ids["keep"]) == {
            "threads",
            "runs",
            "thread_states",
            "checkpoints",
            "checkpoint_blobs",
            "checkpoint_writes",
        }
    finally:
        server.kill()
