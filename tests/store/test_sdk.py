"""The official Python SDK's store client, and graphs using the store, against a real server
process in memory mode and in Postgres mode."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError

from tests.support.postgres import create_database, drop_database
from tests.support.server import ServerProcess

MEMORY_GRAPH = Path(__file__).resolve().parents[1] / "graphs" / "memory.py"


@pytest.fixture(
    scope="module", params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    env = {"AGENT_RUNTIME_GRAPHS": json.dumps({"memory": f"{MEMORY_GRAPH}:graph"})}
    database = None
    if request.param == "postgres":
        database, env["DATABASE_URL"] = create_database()
    proc = ServerProcess(env=env).start()
    try:
        yield proc
    finally:
        code = proc.stop()
        if database:
            drop_database(database)
        assert code == 0, proc.log()


@pytest.fixture
def client(server: ServerProcess) -> LangGraphClient:
    return get_client(url=server.url)


async def test_item_lifecycle(client: LangGraphClient) -> None:
    ns = ["sdk", uuid.uuid4().hex, "prefs"]
    await client.store.put_item(ns, "theme", {"mode": "dark", "size": 12})
    item = await client.store.get_item(ns, "theme")
    assert item["namespace"] == ns
    assert item["value"] == {"mode": "dark", "size": 12}

    await client.store.put_item(ns, "theme", {"mode": "light", "size": 14})
    updated = await client.store.get_item(ns, "theme")
    assert updated["value"]["mode"] == "light"
    assert updated["created_at"] == item["created_at"]
    assert updated["updated_at"] >= item["updated_at"]

    await client.store.delete_item(ns, "theme")
    with pytest.raises(NotFoundError):
        await client.store.get_item(ns, "theme")


async def test_search(client: LangGraphClient) -> None:
    root = ["sdk", uuid.uuid4().hex]
    for i in range(5):
        await client.store.put_item([*root, "docs"], f"d{i}", {"n": i, "title": f"Doc {i}"})
    await client.store.put_item([*root, "other"], "x", {"n": 99, "title": "Unrelated"})

    found = await client.store.search_items([*root, "docs"], filter={"n": {"$gte": 3}})
    assert sorted(item["key"] for item in found["items"]) == ["d3", "d4"]
    by_text = await client.store.search_items(root, query="unrelated")
    assert [item["key"] for item in by_text["items"]] == ["x"]
    paged = await client.store.search_items(root, limit=2, offset=1)
    assert [item["key"] for item in paged["items"]] == ["d4", "d3"]
    exact = await client.store.search_items(root, filter={"title": "Doc 2"})
    assert [item["key"] for item in exact["items"]] == ["d2"]


async def test_list_namespaces(client: LangGraphClient) -> None:
    root = uuid.uuid4().hex
    for namespace in [(root, "u1", "a1", "memories"), (root, "u1", "a2", "context")]:
        await client.store.put_item(list(namespace), "k", {})
    listed = await client.store.list_namespaces(prefix=[root])
    assert listed["namespaces"] == [[root, "u1", "a1", "memories"], [root, "u1", "a2", "context"]]
    by_suffix = await client.store.list_namespaces(prefix=[root], suffix=["context"])
    assert by_suffix["namespaces"] == [[root, "u1", "a2", "context"]]
    wildcard = await client.store.list_namespaces(prefix=[root, "*", "a1"])
    assert wildcard["namespaces"] == [[root, "u1", "a1", "memories"]]
    shallow = await client.store.list_namespaces(prefix=[root], max_depth=2)
    assert shallow["namespaces"] == [[root, "u1"]]
    page = await client.store.list_namespaces(prefix=[root], limit=1, offset=1)
    assert page["namespaces"] == [[root, "u1", "a2", "context"]]


async def test_unicode_and_large_values(client: LangGraphClient) -> None:
    ns = ["sdk", "ünïcødé", "日本語 メモ"]
    value = {"text": "héllo 🎉", "blob": "ž" * 500_000, "list": list(range(10_000))}
    await client.store.put_item(ns, "大きい", value)
    item = await client.store.get_item(ns, "大きい")
    assert item["namespace"] == ns
    assert item["value"] == value


async def test_graph_remembers_across_threads(client: LangGraphClient) -> None:
    org = f"org-{uuid.uuid4().hex}"
    config = {"configurable": {"supabase_organization_id": org, "owner": "u-1"}}
    first, second = await client.threads.create(), await client.threads.create()

    wrote = await client.runs.wait(
        first["thread_id"], "memory", input={"remember": "likes green tea"}, config=config
    )
    assert wrote == {"remember": "likes green tea", "memories": ["likes green tea"], "counted": 1}
    read = await client.runs.wait(second["thread_id"], "memory", input={}, config=config)
    assert read == {"memories": ["likes green tea"], "counted": 1}

    # What the graph wrote is what the Store API serves.
    assistant = (await client.assistants.search(graph_id="memory"))[0]
    namespaces = await client.store.list_namespaces(prefix=[org])
    assert namespaces["namespaces"] == [[org, "u-1", assistant["assistant_id"], "memories"]]
    items = await client.store.search_items([org])
    assert [item["value"] for item in items["items"]] == [{"text": "likes green tea"}]

    # And what the API writes, the graph reads.
    await client.store.put_item(
        [org, "u-1", assistant["assistant_id"], "memories"], "ui", {"text": "prefers metric"}
    )
    again = await client.runs.wait(second["thread_id"], "memory", input={}, config=config)
    assert again["memories"] == ["likes green tea", "prefers metric"]
