"""Runs streamed through the official Python SDK against a spawned server and a fake model."""

from __future__ import annotations

from langgraph_sdk import get_client

from tests.e2e.helpers import HUMAN, collect
from tests.fakes.providers import FakeProvider, TextReply
from tests.support.server import ServerProcess


async def test_messages_tuple_streams_token_deltas(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("Hello there, brave new world", chunks=5))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = await collect(
        client.runs.stream(
            thread["thread_id"],
            "agent",
            input=HUMAN,
            stream_mode=["messages-tuple", "values"],
        )
    )
    names = [p.event for p in parts]
    assert names[0] == "metadata"
    assert names[-1] == "end"
    assert set(parts[0].data) == {"run_id", "attempt"}

    tokens = [p.data for p in parts if p.event == "messages"]
    ai_chunks = [chunk for chunk, _meta in tokens if chunk["type"] == "AIMessageChunk"]
    contents = [c["content"] for c in ai_chunks if c["content"]]
    assert len(contents) == 5
    assert "".join(contents) == "Hello there, brave new world"
    assert len({c["id"] for c in ai_chunks}) == 1
    metadata = tokens[0][1]
    assert metadata["langgraph_node"] == "model"
    assert "OPENAI_API_KEY" not in str(metadata)

    final = [p.data for p in parts if p.event == "values"][-1]
    assert [m["type"] for m in final["messages"]] == ["human", "ai"]
    assert final["messages"][1]["content"] == "Hello there, brave new world"
    assert "lc" not in final["messages"][1]

    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"] == final
    stored = await client.threads.get(thread["thread_id"])
    assert stored["status"] == "idle"
    assert stored["values"] == final
    assert stored["metadata"]["graph_id"] == "agent"


async def test_only_requested_modes_are_sent(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = await collect(
        client.runs.stream(thread["thread_id"], "agent", input=HUMAN, stream_mode="updates")
    )
    assert {p.event for p in parts} == {"metadata", "updates", "end"}
    updates = [p.data for p in parts if p.event == "updates"]
    assert "model" in updates[-1]


async def test_legacy_messages_mode_sends_partial_and_complete(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    parts = await collect(client.runs.stream(None, "agent", input=HUMAN, stream_mode="messages"))
    names = [p.event for p in parts]
    assert "messages/metadata" in names
    assert "messages/partial" in names
    complete = [p.data for p in parts if p.event == "messages/complete"]
    assert complete[-1][0]["content"] == "Echo: hi"
    partial = [p.data[0]["content"] for p in parts if p.event == "messages/partial"]
    assert partial[-1].startswith("Echo")


async def test_events_debug_tasks_and_checkpoints_modes(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    parts = await collect(
        client.runs.stream(
            None, "agent", input=HUMAN, stream_mode=["events", "debug", "tasks", "checkpoints"]
        )
    )
    names = {p.event for p in parts}
    assert {"events", "debug", "tasks", "checkpoints"} <= names
    kinds = {p.data["event"] for p in parts if p.event == "events"}
    assert {"on_chain_start", "on_chat_model_stream", "on_chain_end"} <= kinds


async def test_stateless_stream_has_run_locations(server: ServerProcess) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=server.url) as http:
        body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": ["values"]}
        async with http.stream("POST", "/runs/stream", json=body) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            raw = (await response.aread()).decode()
        content_location = response.headers["Content-Location"]
        location = response.headers["Location"]
    assert content_location.startswith("/runs/")
    assert location.startswith("/threads/") and location.endswith("/stream")
    frames = [f for f in raw.split("\n\n") if f.strip()]
    assert frames[0].startswith("id: 1\nevent: metadata\ndata: ")
    assert frames[-1].split("\n")[1] == "event: end"
    ids = [int(f.split("\n")[0].removeprefix("id: ")) for f in frames]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
