"""Human in the loop, thread state and history, run config, and the failure paths of runs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from tests.e2e.helpers import ask, wait_status, wait_until_streaming
from tests.fakes.providers import FakeProvider, TextReply
from tests.support.server import ServerProcess


async def test_interrupt_before_pauses_and_a_new_run_resumes(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    paused = await client.runs.wait(
        thread["thread_id"], "agent", input=ask("hold"), interrupt_before=["model"]
    )
    assert isinstance(paused, dict)
    assert [m["content"] for m in paused["messages"]] == ["hold"]

    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["model"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"

    resumed = await client.runs.wait(thread["thread_id"], "agent", input=None)
    assert isinstance(resumed, dict)
    assert [m["content"] for m in resumed["messages"]] == ["hold", "Echo: hold"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_interrupt_in_a_node_resumes_with_a_command(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    paused = await client.runs.wait(thread["thread_id"], "demo", input={"notes": []})
    assert isinstance(paused, dict)
    assert paused["__interrupt__"][0]["value"] == {"question": "Approve?"}

    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["ask"]
    assert state["interrupts"][0]["value"] == {"question": "Approve?"}
    stored = await client.threads.get(thread["thread_id"])
    assert stored["status"] == "interrupted"
    assert next(iter(stored["interrupts"].values()))[0]["value"] == {"question": "Approve?"}

    done = await client.runs.wait(thread["thread_id"], "demo", command={"resume": "yes"})
    assert isinstance(done, dict)
    assert done["answer"] == "yes"
    assert done["messages"][-1]["content"] == "answer: yes"
    stored = await client.threads.get(thread["thread_id"])
    assert stored["status"] == "idle"
    assert not stored["interrupts"]


async def test_command_goto_and_update_steer_the_graph(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    done = await client.runs.wait(
        thread["thread_id"], "demo", command={"update": {"answer": "skipped"}, "goto": "report"}
    )
    assert isinstance(done, dict)
    assert done["answer"] == "skipped"
    assert done["messages"][-1]["content"] == "answer: skipped"


async def test_command_resume_with_update_changes_the_state(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "demo", input={"notes": []})
    done = await client.runs.wait(
        thread["thread_id"], "demo", command={"resume": "no", "update": {"notes": ["edited"]}}
    )
    assert isinstance(done, dict)
    assert done["notes"] == ["edited"]
    assert done["messages"][-1]["content"] == "answer: no"


async def test_state_and_history_after_several_runs(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    for word in ("one", "two", "three"):
        await client.runs.wait(thread["thread_id"], "agent", input=ask(word))

    state = await client.threads.get_state(thread["thread_id"])
    contents = [m["content"] for m in state["values"]["messages"]]
    assert contents == ["one", "Echo: one", "two", "Echo: two", "three", "Echo: three"]
    assert state["next"] == []

    history = await client.threads.get_history(thread["thread_id"], limit=100)
    assert history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    steps = [h["metadata"]["step"] for h in history]
    assert steps == sorted(steps, reverse=True)
    sizes = [len(h["values"].get("messages", [])) for h in history]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 0

    page = await client.threads.get_history(thread["thread_id"], limit=2)
    assert [h["checkpoint"] for h in page] == [h["checkpoint"] for h in history[:2]]
    older = await client.threads.get_history(
        thread["thread_id"], limit=2, before=page[-1]["checkpoint"]
    )
    assert [h["checkpoint"] for h in older] == [h["checkpoint"] for h in history[2:4]]
    inputs = await client.threads.get_history(
        thread["thread_id"], limit=100, metadata={"source": "input"}
    )
    assert len(inputs) == 3

    middle = history[3]
    at = await client.threads.get_state(
        thread["thread_id"], checkpoint_id=middle["checkpoint"]["checkpoint_id"]
    )
    assert at["values"] == middle["values"]


async def test_state_update_then_run_continues_from_it(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "demo", input={"notes": []})

    update = await client.threads.update_state(
        thread["thread_id"], {"answer": "edited"}, as_node="ask"
    )
    assert update["checkpoint"]["checkpoint_id"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["answer"] == "edited"
    assert state["next"] == ["report"]

    done = await client.runs.wait(thread["thread_id"], "demo", input=None)
    assert isinstance(done, dict)
    assert done["messages"][-1]["content"] == "answer: edited"


async def test_state_update_is_refused_while_a_run_is_active(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("slow " * 20, chunks=20, delay_per_chunk=0.05))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=ask("busy"))
    await wait_until_streaming(provider)
    with pytest.raises(ConflictError):
        await client.threads.update_state(thread["thread_id"], {"messages": []})
    await client.runs.join(thread["thread_id"], run["run_id"])


async def test_run_config_carries_ids_and_x_headers(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    # The SDK refuses to send x-api-key itself, so the request goes out through httpx.
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs/wait",
            headers={"x-tenant": "acme", "x-api-key": "secret"},
            json={
                "assistant_id": "probe",
                "input": {},
                "config": {"configurable": {"answer": 42, "thread_id": "spoofed"}},
            },
        )
    assert response.status_code == 200, response.text
    seen = response.json()["seen"]
    assert seen["thread_id"] == thread["thread_id"]
    assert seen["graph_id"] == "probe"
    assert seen["answer"] == 42
    assert seen["x-tenant"] == "acme"
    assert seen["x-api-key"] is None
    runs = await client.runs.list(thread["thread_id"])
    assert seen["run_id"] == runs[0]["run_id"]


async def test_unknown_assistant_is_404(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    with pytest.raises(NotFoundError):
        await client.runs.create(thread["thread_id"], "no-such-assistant", input=ask("x"))
    assert await client.runs.list(thread["thread_id"]) == []


async def test_provider_failure_mid_stream_ends_the_run_in_error(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(TextReply("this will break off", chunks=4, abort_after=2))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = [
        part
        async for part in client.runs.stream(
            thread["thread_id"], "agent", input=ask("x"), stream_mode=["messages-tuple"]
        )
    ]
    names = [p.event for p in parts]
    assert names[0] == "metadata"
    assert names[-2:] == ["error", "end"]
    error = parts[-2].data
    assert error["error"] and error["message"]
    assert "Traceback" not in error["message"]

    runs = await client.runs.list(thread["thread_id"])
    assert runs[0]["status"] == "error"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "error"
    joined = await client.runs.join(thread["thread_id"], runs[0]["run_id"])
    assert joined["__error__"]["error"] == error["error"]

    # The thread is not stuck: the next run works.
    values = await client.runs.wait(thread["thread_id"], "agent", input=ask("again"))
    assert isinstance(values, dict)
    assert values["messages"][-1]["content"] == "Echo: again"


@pytest.mark.parametrize(
    "body",
    [
        {"command": {"goto": 5}},
        {"command": "resume"},
        {"command": {"resume": 1}, "input": {"messages": []}},
        {"stream_mode": ["values", "telepathy"]},
        {"stream_mode": "nope"},
        {"multitask_strategy": "shout"},
        {"interrupt_before": "model"},
    ],
)
async def test_bad_run_requests_are_422_and_create_nothing(
    server: ServerProcess, body: dict[str, Any]
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs/stream", json={"assistant_id": "agent", **body}
        )
    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], str)
    assert await client.runs.list(thread["thread_id"]) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_run_on_a_missing_thread_is_404(server: ServerProcess) -> None:
    client = get_client(url=server.url)
    with pytest.raises(NotFoundError):
        await client.runs.create("2a3c0d8e-0000-4000-8000-000000000000", "agent", input=ask("x"))
    with pytest.raises(UnprocessableEntityError):
        await client.runs.create(None, "agent", input=ask("x"), multitask_strategy="shout")  # type: ignore[arg-type]


async def test_joining_a_finished_run_answers_with_the_state_it_left(
    server: ServerProcess,
) -> None:
    """The server keeps no copy of a finished run's values: a `join` after the run has ended
    reads them from its thread, with the interrupt the run stopped at."""
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "demo", input={"notes": []})
    await wait_status(client, thread["thread_id"], run["run_id"], "success")

    joined = await client.runs.join(thread["thread_id"], run["run_id"])

    assert isinstance(joined, dict)
    assert joined["notes"] == ["prepared"]
    assert joined["__interrupt__"][0]["value"] == {"question": "Approve?"}
    done = await client.runs.wait(thread["thread_id"], "demo", command={"resume": "yes"})
    assert isinstance(done, dict)
    again = await client.runs.join(thread["thread_id"], run["run_id"])
    # The thread's final state, as the SDK describes `join`: a later run has moved it on.
    assert isinstance(again, dict)
    assert again["answer"] == "yes"
