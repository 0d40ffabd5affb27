"""Run creation options through the official SDK: background and stateless runs, interrupt_after,
after_seconds, unsupported options, invalid agent config and subgraph streaming."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError

from tests.e2e.helpers import ask, collect, slow_reply, wait_until_streaming
from tests.fakes.providers import FakeProvider
from tests.support.server import ServerProcess

ORDER = ["pending", "running", "success"]
ANSWER = "slow and steady answer"


async def statuses_until_done(
    client: LangGraphClient, thread_id: str, run_id: str, within: float = 10.0
) -> list[str]:
    """Every status the run shows when polled, until it is no longer pending or running."""
    seen: list[str] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        status = (await client.runs.get(thread_id, run_id))["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status not in ("pending", "running"):
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} still {seen[-1]} after {within}s")


async def thread_count(http: httpx.AsyncClient) -> int:
    response = await http.post("/threads/count", json={})
    assert response.status_code == 200
    count: int = response.json()
    return count


# --- background runs -----------------------------------------------------------------------


async def test_stateless_background_run_returns_values_and_drops_its_thread(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(ANSWER, per_chunk=0.05))
    client = get_client(url=server.url)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post("/runs", json={"assistant_id": "agent", "input": ask("hi")})
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["status"] in ("pending", "running")
    assert response.headers["Content-Location"] == f"/runs/{run['run_id']}"
    assert (
        response.headers["Location"] == f"/threads/{run['thread_id']}/runs/{run['run_id']}/stream"
    )

    values = await client.runs.join(run["thread_id"], run["run_id"])

    assert [m["content"] for m in values["messages"]] == ["hi", ANSWER]
    # on_completion defaults to delete: the throwaway thread goes once the run is over.
    for _ in range(100):
        try:
            await client.threads.get(run["thread_id"])
        except NotFoundError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the stateless run's thread was not deleted")


async def test_stateless_background_run_kept_thread_ends_in_success(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(ANSWER, per_chunk=0.05))
    client = get_client(url=server.url)
    run = await client.runs.create(None, "agent", input=ask("hi"), on_completion="keep")

    seen = await statuses_until_done(client, run["thread_id"], run["run_id"])

    assert seen[-1] == "success"
    assert seen == sorted(seen, key=ORDER.index)
    values = await client.runs.join(run["thread_id"], run["run_id"])
    assert values["messages"][-1]["content"] == ANSWER
    thread = await client.threads.get(run["thread_id"])
    assert thread["status"] == "idle"
    assert thread["values"] == values


async def test_background_run_on_a_thread_is_running_then_success(
    server: ServerProcess, provider: FakeProvider
) -> None:
    provider.script(slow_reply(ANSWER))
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(thread["thread_id"], "agent", input=ask("hi"))
    await wait_until_streaming(provider)

    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "running"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "busy"

    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert [m["content"] for m in values["messages"]] == ["hi", ANSWER]
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"
    stored = await client.threads.get(thread["thread_id"])
    assert stored["status"] == "idle"
    assert stored["values"] == values


# --- interrupt_after -----------------------------------------------------------------------


async def test_interrupt_after_pauses_with_next_set_and_a_new_run_continues(
    server: ServerProcess,
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    paused = await client.runs.wait(
        thread["thread_id"], "demo", input={"notes": []}, interrupt_after=["inner"]
    )
    assert isinstance(paused, dict)
    assert paused["notes"] == ["prepared"]
    assert "answer" not in paused

    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["ask"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
    (run,) = await client.runs.list(thread["thread_id"])
    assert run["status"] == "success"

    # Input None picks up where it stopped: `ask` runs (and asks), `inner` does not run again.
    resumed = await client.runs.wait(thread["thread_id"], "demo", input=None)
    assert isinstance(resumed, dict)
    assert resumed["notes"] == ["prepared"]
    assert resumed["__interrupt__"][0]["value"] == {"question": "Approve?"}
    done = await client.runs.wait(thread["thread_id"], "demo", command={"resume": "ok"})
    assert isinstance(done, dict)
    assert done["messages"][-1]["content"] == "answer: ok"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_interrupt_after_the_agents_model_node(
    server: ServerProcess, provider: FakeProvider
) -> None:
    """`model` is the last node of the tool-less `agent` graph: the model answers, and once it
    has there is nothing left to run, so the thread is idle and a new run with input None
    does not call the model again."""
    client = get_client(url=server.url)
    thread = await client.threads.create()
    values = await client.runs.wait(
        thread["thread_id"], "agent", input=ask("hold"), interrupt_after=["model"]
    )
    assert isinstance(values, dict)
    assert [m["content"] for m in values["messages"]] == ["hold", "Echo: hold"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"

    again = await client.runs.wait(thread["thread_id"], "agent", input=None)
    assert again == values
    assert len(provider.requests) == 1


# --- after_seconds -------------------------------------------------------------------------


async def test_after_seconds_keeps_the_run_pending_then_runs_it(
    server: ServerProcess, provider: FakeProvider
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], "agent", input=ask("later"), after_seconds=1
    )

    assert run["status"] == "pending"
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "pending"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "busy"
    assert provider.requests == []

    seen = await statuses_until_done(client, thread["thread_id"], run["run_id"])

    assert seen[0] == "pending"
    assert seen[-1] == "success"
    assert seen == sorted(seen, key=ORDER.index)
    values = await client.runs.join(thread["thread_id"], run["run_id"])
    assert values["messages"][-1]["content"] == "Echo: later"
    assert len(provider.requests) == 1


# --- unsupported options -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "named"),
    [
        ({"webhook": "https://hooks.example/run-done"}, "webhook"),
        ({"feedback_keys": ["thumbs"]}, "feedback_keys"),
    ],
)
@pytest.mark.parametrize("endpoint", ["runs", "runs/stream", "runs/wait"])
async def test_unsupported_options_are_501_and_create_nothing(
    server: ServerProcess, option: dict[str, Any], named: str, endpoint: str
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    body = {"assistant_id": "agent", "input": ask("x"), **option}
    async with httpx.AsyncClient(base_url=server.url) as http:
        on_thread = await http.post(f"/threads/{thread['thread_id']}/{endpoint}", json=body)
        threads_before = await thread_count(http)
        stateless = await http.post(f"/{endpoint}", json=body)
        threads_after = await thread_count(http)

    for response in (on_thread, stateless):
        assert response.status_code == 501, response.text
        assert response.headers["content-type"].startswith("application/json")
        detail = response.json()["detail"]
        assert isinstance(detail, str)
        assert named in detail.lower()
    assert await client.runs.list(thread["thread_id"]) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"
    assert threads_after == threads_before


# --- invalid agent config ------------------------------------------------------------------


BAD_CONFIGS = [
    pytest.param({"temperature": 7}, "temperature", id="temperature"),
    pytest.param({"max_tokens": 0}, "max_tokens", id="max_tokens"),
    pytest.param({"model_name": "nope:x"}, "nope", id="unknown-provider"),
    pytest.param({"model_name": "custom:", "base_url": "ftp://x"}, "base_url", id="base-url"),
]


@pytest.mark.parametrize(("configurable", "named"), BAD_CONFIGS)
async def test_invalid_agent_config_streams_error_then_end(
    server: ServerProcess, provider: FakeProvider, configurable: dict[str, Any], named: str
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = await collect(
        client.runs.stream(
            thread["thread_id"],
            "agent",
            input=ask("x"),
            config={"configurable": configurable},
            stream_mode=["values", "messages-tuple"],
        )
    )
    assert [p.event for p in parts] == ["metadata", "error", "end"]
    error = parts[1].data
    assert named in error["message"]
    assert error["error"] and "Traceback" not in error["message"]
    assert provider.requests == []

    (run,) = await client.runs.list(thread["thread_id"])
    assert run["status"] == "error"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "error"


@pytest.mark.parametrize(("configurable", "named"), BAD_CONFIGS)
async def test_invalid_agent_config_wait_returns_the_error(
    server: ServerProcess, configurable: dict[str, Any], named: str
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    config = {"configurable": configurable}
    # The SDK turns the `__error__` answer into an exception carrying the message...
    with pytest.raises(Exception, match=re.escape(named)):
        await client.runs.wait(thread["thread_id"], "agent", input=ask("x"), config=config)
    # ...which is the body the server sent.
    result = await client.runs.wait(
        thread["thread_id"], "agent", input=ask("x"), config=config, raise_error=False
    )
    assert isinstance(result, dict)
    assert set(result) == {"__error__"}
    assert named in result["__error__"]["message"]
    assert (await client.threads.get(thread["thread_id"]))["status"] != "busy"

    # The thread is not stuck: a valid run afterwards works.
    values = await client.runs.wait(thread["thread_id"], "agent", input=ask("fine"))
    assert isinstance(values, dict)
    assert values["messages"][-1]["content"] == "Echo: fine"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


# --- subgraph streaming --------------------------------------------------------------------


@pytest.mark.parametrize("modes", [["updates"], ["updates", "custom"]])
async def test_without_stream_subgraphs_only_root_events_are_sent(
    server: ServerProcess, modes: list[str]
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = await collect(
        client.runs.stream(
            thread["thread_id"],
            "demo",
            input={"notes": []},
            stream_mode=modes,
            stream_subgraphs=False,
        )
    )
    names = [p.event for p in parts]
    # The root graph runs `inner` (the subgraph, as one node) and stops in `ask`.
    assert names == ["metadata", "updates", "updates", "end"], names
    updates = [p.data for p in parts if p.event == "updates"]
    assert list(updates[0]) == ["inner"]
    assert updates[0]["inner"]["notes"] == ["prepared"]
    assert list(updates[1]) == ["__interrupt__"]
    assert not any("prepare" in data for data in updates)


async def test_with_stream_subgraphs_subgraph_events_are_namespaced(
    server: ServerProcess,
) -> None:
    client = get_client(url=server.url)
    thread = await client.threads.create()
    parts = await collect(
        client.runs.stream(
            thread["thread_id"],
            "demo",
            input={"notes": []},
            stream_mode=["updates", "custom"],
            stream_subgraphs=True,
        )
    )
    namespaced = re.compile(r"^(updates|custom)\|inner:[0-9a-f-]{36}$")
    sub = [p for p in parts if "|" in p.event]
    assert sub and all(namespaced.match(p.event) for p in sub), [p.event for p in parts]
    assert {p.event.split("|")[0] for p in sub} == {"updates", "custom"}
    assert len({p.event.split("|", 1)[1] for p in sub}) == 1
    sub_updates = [p.data for p in sub if p.event.startswith("updates|")]
    assert sub_updates == [{"prepare": {"notes": ["prepared"]}}]
    assert [p.data for p in sub if p.event.startswith("custom|")] == [{"progress": "preparing"}]

    root = [p for p in parts if "|" not in p.event]
    assert [p.event for p in root] == ["metadata", "updates", "updates", "end"]
    assert list(root[1].data) == ["inner"]
    # The subgraph's events come before the root's update for the node that ran it.
    assert parts.index(sub[-1]) < parts.index(root[1])
