"""Background runs, wait/join, cancel, multitask and stateless runs through the official SDK."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError

from tests.e2e.helpers import (
    HUMAN,
    SLOW_WORDS,
    ask,
    slow_reply,
    wait_status,
    wait_until_streaming,
)
from tests.fakes.providers import FakeProvider, TextReply
from tests.support.server import ServerProcess


async def test_background_run_succeeds_and_join_returns_values(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN)
    assert run["status"] in ("pending", "running")
    assert run["thread_id"] == thread["thread_id"]

    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert values["messages"][-1]["content"] == "Echo: hi"
    done = await client.runs.get(thread["thread_id"], run["run_id"])
    assert done["status"] == "success"
    listed = await client.runs.list(thread["thread_id"])
    assert [r["run_id"] for r in listed] == [run["run_id"]]
    assert (await client.runs.list(thread["thread_id"], status="error")) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_wait_returns_final_values(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    values = await client.runs.wait(thread["thread_id"], "agent", input=ask("one"))
    assert isinstance(values, dict)
    assert [m["content"] for m in values["messages"]] == ["one", "Echo: one"]
    values = await client.runs.wait(thread["thread_id"], "agent", input=ask("two"))
    assert isinstance(values, dict)
    assert len(values["messages"]) == 4


async def test_stateless_runs_delete_or_keep_their_thread(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = {"assistant_id": "agent", "input": HUMAN}
        deleted = await http.post("/runs/wait", json=body)
        kept = await http.post("/runs/wait", json={**body, "on_completion": "keep"})
    assert deleted.status_code == kept.status_code == 200
    assert kept.json()["messages"][-1]["content"] == "Echo: hi"

    gone_thread = deleted.headers["Location"].split("/")[2]
    kept_thread = kept.headers["Location"].split("/")[2]
    with pytest.raises(NotFoundError):
        await client.threads.get(gone_thread)
    state = await client.threads.get_state(kept_thread)
    assert state["values"]["messages"][-1]["content"] == "Echo: hi"


async def test_if_not_exists_create_makes_the_thread(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread_id = "0b4fbc0e-57a3-4a53-9e7c-6d6f1b2cbb10"
    with pytest.raises(httpx.HTTPStatusError) as missing:
        await client.runs.wait(thread_id, "agent", input=HUMAN)
    assert missing.value.response.status_code == 404
    values = await client.runs.wait(thread_id, "agent", input=HUMAN, if_not_exists="create")
    assert isinstance(values, dict) and values["messages"]
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_cancel_stops_the_model_call_within_a_second(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN)
    await wait_until_streaming(provider)

    started = time.monotonic()
    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    stream = provider.streams[-1]
    await asyncio.to_thread(stream.finished.wait, 2.0)
    assert stream.client_disconnected and not stream.completed
    assert stream.chunks_sent < SLOW_WORDS
    cancelled = await client.runs.get(thread["thread_id"], run["run_id"])
    assert cancelled["status"] == "interrupted"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_deleting_an_assistant_with_its_threads_stops_their_runs(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    assistant = await client.assistants.create("agent")
    thread = await client.threads.create()
    await client.runs.create(thread["thread_id"], assistant["assistant_id"], input=HUMAN)
    await wait_until_streaming(provider)

    await client.assistants.delete(assistant["assistant_id"], delete_threads=True)

    # The run stopped before its thread went: its model stream was closed, not finished (the
    # fake provider notices the closed connection a moment later, well before its reply ends).
    stream = provider.streams[-1]
    assert await asyncio.to_thread(stream.finished.wait, 2.0)
    assert stream.client_disconnected and not stream.completed
    with pytest.raises(NotFoundError):
        await client.threads.get(thread["thread_id"])


async def test_cancel_with_rollback_deletes_the_run(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN)
    await wait_until_streaming(provider)

    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True, action="rollback")

    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"] in ({}, None) or not state["values"].get("messages")
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_multitask_reject_refuses_a_second_run(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(per_chunk=0.05))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("first"))
    await wait_until_streaming(provider)

    with pytest.raises(ConflictError):
        await client.runs.create(
            thread["thread_id"], "agent", input=ask("second"), multitask_strategy="reject"
        )

    values = await client.runs.join(thread["thread_id"], first["run_id"])
    assert values["messages"][0]["content"] == "first"
    assert len(await client.runs.list(thread["thread_id"])) == 1


async def test_multitask_interrupt_stops_the_first_run(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("first"))
    await wait_until_streaming(provider)

    second = await client.runs.create(
        thread["thread_id"], "agent", input=ask("second"), multitask_strategy="interrupt"
    )
    values = await client.runs.join(thread["thread_id"], second["run_id"])

    assert (await client.runs.get(thread["thread_id"], first["run_id"]))["status"] == "interrupted"
    assert (await client.runs.get(thread["thread_id"], second["run_id"]))["status"] == "success"
    assert values["messages"][-1]["content"] == "Echo: second"
    # The interrupted run's input stays in the thread; the second run continues from it.
    assert values["messages"][0]["content"] == "first"


async def test_multitask_rollback_erases_the_first_run(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("first"))
    await wait_until_streaming(provider)

    second = await client.runs.create(
        thread["thread_id"], "agent", input=ask("second"), multitask_strategy="rollback"
    )
    values = await client.runs.join(thread["thread_id"], second["run_id"])

    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], first["run_id"])
    assert [m["content"] for m in values["messages"]] == ["second", "Echo: second"]


async def test_multitask_enqueue_runs_one_after_the_other(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(per_chunk=0.02))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    first = await client.runs.create(thread["thread_id"], "agent", input=ask("first"))
    await wait_until_streaming(provider)

    second = await client.runs.create(
        thread["thread_id"], "agent", input=ask("second"), multitask_strategy="enqueue"
    )
    assert second["status"] == "pending"
    values = await client.runs.join(thread["thread_id"], second["run_id"])

    statuses = {r["run_id"]: r["status"] for r in await client.runs.list(thread["thread_id"])}
    assert statuses == {first["run_id"]: "success", second["run_id"]: "success"}
    contents = [m["content"] for m in values["messages"]]
    assert contents[0] == "first" and contents[2:] == ["second", "Echo: second"]
    # One model call at a time on a thread: the second began after the first finished.
    assert len(provider.requests) == 2


async def test_join_stream_with_last_event_id_replays_the_rest(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("one two three four five six", chunks=6, delay_per_chunk=0.05))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "agent", input=HUMAN, stream_mode=["messages-tuple", "values"]
    )
    await client.runs.join(thread["thread_id"], run["run_id"])

    async with httpx.AsyncClient(base_url=server.url) as http:
        url = f"/threads/{thread['thread_id']}/runs/{run['run_id']}/stream"
        full = (await http.get(url)).text
        ids = [line.removeprefix("id: ") for line in full.splitlines() if line.startswith("id: ")]
        assert len(ids) > 4
        rest = (await http.get(url, headers={"Last-Event-ID": ids[2]})).text
    rest_ids = [line.removeprefix("id: ") for line in rest.splitlines() if line.startswith("id: ")]
    assert rest_ids == ids[3:]
    assert "event: end" in rest

    parts = [
        part
        async for part in client.runs.join_stream(
            thread["thread_id"], run["run_id"], last_event_id=ids[0]
        )
    ]
    assert parts[0].event != "metadata"
    assert any(p.event == "messages" for p in parts)


async def test_join_stream_follows_a_live_run(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("alpha beta gamma delta", chunks=4, delay_per_chunk=0.1))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "agent", input=HUMAN, stream_mode=["messages-tuple"]
    )
    await wait_until_streaming(provider)
    parts = [p async for p in client.runs.join_stream(thread["thread_id"], run["run_id"])]
    tokens = "".join(
        p.data[0]["content"] for p in parts if p.event == "messages" and p.data[0]["content"]
    )
    assert tokens == "alpha beta gamma delta"


async def test_client_disconnect_cancels_when_asked(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply())
    client = get_client(url=server.url)
    thread = await client.threads.create()
    body = {
        "assistant_id": "agent",
        "input": HUMAN,
        "stream_mode": ["messages-tuple"],
        "on_disconnect": "cancel",
    }
    async with (
        httpx.AsyncClient(base_url=server.url) as http,
        http.stream("POST", f"/threads/{thread['thread_id']}/runs/stream", json=body) as response,
    ):
        run_id = response.headers["Content-Location"].rsplit("/", 1)[1]
        async for line in response.aiter_lines():
            if line.startswith("event: messages"):
                break

    await wait_status(client, thread["thread_id"], run_id, "interrupted")
    stream = provider.streams[-1]
    await asyncio.to_thread(stream.finished.wait, 2.0)
    assert stream.client_disconnected
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_client_disconnect_continues_by_default(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("keep going please", chunks=3, delay_per_chunk=0.1))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    body = {"assistant_id": "agent", "input": HUMAN, "stream_mode": ["messages-tuple"]}
    async with (
        httpx.AsyncClient(base_url=server.url) as http,
        http.stream("POST", f"/threads/{thread['thread_id']}/runs/stream", json=body) as response,
    ):
        run_id = response.headers["Content-Location"].rsplit("/", 1)[1]
        async for line in response.aiter_lines():
            if line.startswith("event: messages"):
                break

    values = await client.runs.join(thread["thread_id"], run_id)
    assert values["messages"][-1]["content"] == "keep going please"


async def test_delete_run_refuses_active_then_deletes(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(per_chunk=0.03))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN)
    await wait_until_streaming(provider)
    with pytest.raises(ConflictError):
        await client.runs.delete(thread["thread_id"], run["run_id"])
    await client.runs.join(thread["thread_id"], run["run_id"])
    await client.runs.delete(thread["thread_id"], run["run_id"])
    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
