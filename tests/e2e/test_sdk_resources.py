"""Assistants and threads through the official Python SDK against a spawned server."""

from __future__ import annotations

import uuid

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from tests.support.server import ServerProcess


async def test_assistant_lifecycle(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    tag = uuid.uuid4().hex
    made = await client.assistants.create(
        "agent", config={"configurable": {"temperature": 0.2}}, metadata={"tag": tag}, name="a"
    )
    assert made["version"] == 1
    assert made["graph_id"] == "agent"

    with pytest.raises(ConflictError):
        await client.assistants.create("agent", assistant_id=made["assistant_id"])
    same = await client.assistants.create(
        "agent", assistant_id=made["assistant_id"], if_exists="do_nothing"
    )
    assert same["assistant_id"] == made["assistant_id"]
    assert same["name"] == "a"

    patched = await client.assistants.update(made["assistant_id"], metadata={"extra": 1})
    assert patched["metadata"] == {"tag": tag, "extra": 1}
    assert patched["version"] == 2
    assert patched["config"] == {"configurable": {"temperature": 0.2}}

    for i in range(3):
        await client.assistants.create("agent", name=f"n{i}", metadata={"tag": tag})
    page = await client.assistants.search(
        metadata={"tag": tag}, limit=2, offset=0, response_format="object"
    )
    assert len(page["assistants"]) == 2
    assert page["next"] == "2"
    by_graph = await client.assistants.search(graph_id="agent", metadata={"tag": tag}, limit=10)
    assert len(by_graph) == 4
    assert await client.assistants.count(metadata={"tag": tag}) == 4

    system = await client.assistants.get("agent")
    assert (
        system["assistant_id"]
        == (await client.assistants.search(graph_id="agent", metadata={"created_by": "system"}))[0][
            "assistant_id"
        ]
    )
    assert system["metadata"]["created_by"] == "system"

    await client.assistants.delete(made["assistant_id"])
    with pytest.raises(NotFoundError):
        await client.assistants.get(made["assistant_id"])

    with pytest.raises(UnprocessableEntityError):
        await client.assistants.create("no-such-graph")


async def test_thread_lifecycle(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    tag = uuid.uuid4().hex
    thread = await client.threads.create(metadata={"tag": tag, "n": 0})
    assert thread["status"] == "idle"

    hex_id = uuid.uuid4().hex
    mine = await client.threads.create(thread_id=hex_id, metadata={"tag": tag, "n": 1})
    assert mine["thread_id"] == hex_id
    with pytest.raises(ConflictError):
        await client.threads.create(thread_id=hex_id)
    again = await client.threads.create(thread_id=hex_id, if_exists="do_nothing")
    assert again["metadata"] == {"tag": tag, "n": 1}

    updated = await client.threads.update(hex_id, metadata={"extra": True})
    assert updated["metadata"] == {"tag": tag, "n": 1, "extra": True}

    found = await client.threads.search(metadata={"tag": tag}, status="idle", limit=1)
    assert len(found) == 1
    both = await client.threads.search(ids=[hex_id, thread["thread_id"]])
    assert {t["thread_id"] for t in both} == {hex_id, thread["thread_id"]}
    assert await client.threads.count(metadata={"tag": tag}) == 2

    await client.threads.delete(hex_id)
    with pytest.raises(NotFoundError):
        await client.threads.get(hex_id)
