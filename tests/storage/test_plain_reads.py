"""State read with `plain_models` (stored models as dicts) or `rendered_values` (large values
as JSON fragments) shows the same JSON as a read that rebuilds them, in both checkpointers,
also when a half-done step's writes are reduced in."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, TypedDict

import orjson
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, Send, interrupt

from agent_runtime.runs.checkpoints import RenderedCache, plain_models, rendered_values
from agent_runtime.runs.serde import dumps
from tests.storage.conftest import Repositories


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    seen: dict[str, Any]


def _reply() -> AIMessage:
    return AIMessage(
        content="",
        id="ai-1",
        tool_calls=[{"name": "lookup", "args": {"q": "é"}, "id": "call-1"}],
        usage_metadata={"input_tokens": 3, "output_tokens": 5, "total_tokens": 8},
        response_metadata={"model_name": "fake"},
    )


def _history() -> dict[str, Any]:
    return {
        "messages": [
            HumanMessage("hello", id="h-1"),
            _reply(),
            ToolMessage("found", tool_call_id="call-1", id="t-1", artifact={"rows": 1}),
        ],
        "seen": {"at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "id": uuid.UUID(int=7)},
    }


def _config() -> RunnableConfig:
    return {"configurable": {"thread_id": str(uuid.uuid4())}}


def _json(value: Any) -> Any:
    return orjson.loads(dumps(value))


async def _states(graph: Any, config: RunnableConfig) -> tuple[Any, Any]:
    with plain_models():
        plain = await graph.aget_state(config)
    rebuilt = await graph.aget_state(config)
    return plain, rebuilt


def _noop_app(repos: Repositories) -> Any:
    """A graph whose state is only ever written by `aupdate_state`."""
    graph = StateGraph(State).add_node("noop", lambda state: {}).add_edge(START, "noop")
    return graph.compile(checkpointer=repos.checkpointer)


async def test_a_plain_read_shows_the_same_state_without_rebuilding_messages(
    repos: Repositories,
) -> None:
    app = _noop_app(repos)
    config = _config()
    history = _history()
    first, rest = history["messages"][:1], history["messages"][1:]
    await app.aupdate_state(config, {"messages": first}, as_node="noop")
    await app.aupdate_state(config, {**history, "messages": rest}, as_node="noop")

    plain, rebuilt = await _states(app, config)

    assert all(isinstance(m, dict) for m in plain.values["messages"])
    assert all(isinstance(m, BaseMessage) for m in rebuilt.values["messages"])
    assert _json(plain.values) == _json(rebuilt.values)
    assert _json(plain.values)["messages"][1]["usage_metadata"]["total_tokens"] == 8
    with plain_models():
        plain_history = [s.values async for s in app.aget_state_history(config)]
    rebuilt_history = [s.values async for s in app.aget_state_history(config)]
    assert len(plain_history) == len(rebuilt_history) >= 2
    assert _json(plain_history) == _json(rebuilt_history)


async def test_a_half_done_steps_writes_are_reduced_into_rebuilt_messages(
    repos: Repositories,
) -> None:
    """One branch of the step answered, the other interrupted: reading the state applies the
    answer through `add_messages`, which would turn a plain AI message's fields into
    `additional_kwargs`. Such a checkpoint is read with its models rebuilt."""

    def answer(state: State) -> dict[str, Any]:
        return {"messages": [_reply()]}

    def ask(state: State) -> dict[str, Any]:
        interrupt("approve?")
        return {}

    graph = (
        StateGraph(State)
        .add_node("answer", answer)
        .add_node("ask", ask)
        .add_edge(START, "answer")
        .add_edge(START, "ask")
    )
    app = graph.compile(checkpointer=repos.checkpointer)
    config = _config()
    await app.ainvoke({"messages": [HumanMessage("hello", id="h-1")]}, config)

    plain, rebuilt = await _states(app, config)

    assert [task.name for task in plain.tasks if task.interrupts] == ["ask"]
    assert _json(plain.values) == _json(rebuilt.values)
    answered = _json(plain.values)["messages"][-1]
    assert answered["additional_kwargs"] == {}
    assert answered["usage_metadata"]["total_tokens"] == 8

    # A resume with an update: history shows that update (the null task's writes) reduced
    # into the values of the checkpoint it was written to.
    update = {"messages": [_reply().model_copy(update={"id": "ai-2"})]}
    await app.ainvoke(Command(resume="yes", update=update), config)
    with plain_models():
        plain_history = [s.values async for s in app.aget_state_history(config)]
    rebuilt_history = [s.values async for s in app.aget_state_history(config)]
    assert _json(plain_history) == _json(rebuilt_history)
    assert {m["id"] for m in _json(plain_history[0])["messages"]} == {"h-1", "ai-1", "ai-2"}


def _long_conversation(turns: int) -> dict[str, Any]:
    messages: list[BaseMessage] = []
    for turn in range(turns):
        messages.append(HumanMessage(f"question {turn} " + "é" * 40, id=f"h-{turn}"))
        messages.append(_reply().model_copy(update={"id": f"ai-{turn}", "content": f"{turn}"}))
    return {"messages": messages, "seen": {"turns": turns}}


async def test_a_rendered_read_shows_a_long_conversation_as_the_same_json_rendered_once(
    repos: Repositories,
) -> None:
    app = _noop_app(repos)
    config = _config()
    await app.aupdate_state(config, _long_conversation(150), as_node="noop")

    with plain_models():
        plain = await app.aget_state(config)
        plain_history = [s.values async for s in app.aget_state_history(config)]
    with rendered_values():
        rendered = await app.aget_state(config)
        again = await app.aget_state(config)
        rendered_history = [s.values async for s in app.aget_state_history(config)]

    messages = rendered.values["messages"]
    assert isinstance(messages, orjson.Fragment)
    assert again.values["messages"] is messages
    # A small channel is decoded as before.
    assert rendered.values["seen"] == {"turns": 150}
    assert dumps(rendered.values) == dumps(plain.values)
    assert dumps(rendered_history) == dumps(plain_history)
    assert len(orjson.loads(dumps(rendered.values))["messages"]) == 300


async def test_a_rendered_read_decodes_langgraphs_own_channels(repos: Repositories) -> None:
    """A pending `Send` with a large payload sits in LangGraph's tasks channel, which the
    library reads to list the next tasks: that channel is not rendered."""

    def fan_out(state: State) -> list[Send]:
        return [Send("work", {"seen": {"payload": "x" * 20_000}})]

    def work(state: State) -> dict[str, Any]:
        interrupt("approve?")
        return {}

    graph = StateGraph(State).add_node("work", work).add_conditional_edges(START, fan_out)
    app = graph.compile(checkpointer=repos.checkpointer)
    config = _config()
    await app.ainvoke({"messages": [HumanMessage("hello", id="h-1")]}, config)

    with plain_models():
        plain = await app.aget_state(config)
    with rendered_values():
        rendered = await app.aget_state(config)
        history = [s async for s in app.aget_state_history(config)]

    assert rendered.next == plain.next == ("work",)
    assert [task.interrupts[0].value for task in rendered.tasks] == ["approve?"]
    assert dumps(rendered.values) == dumps(plain.values)
    assert history[0].next == ("work",)


def test_the_rendered_cache_keeps_to_its_size_dropping_the_least_recently_used() -> None:
    cache = RenderedCache(capacity=100)

    def put(name: str, size: int) -> tuple[str, bytes]:
        key = ("msgpack", name.encode() * (size // 2))
        cache.put(key, b"1" * (size - len(key[1])))
        return key

    first, second = put("a", 40), put("b", 40)
    assert cache.get(first) is not None  # now the most recently used
    third = put("c", 40)
    assert cache.get(second) is None
    assert cache.get(first) is not None and cache.get(third) is not None
    assert cache.size == 80 and len(cache) == 2
    put("d", 120)  # larger than the whole cache: not kept
    assert cache.size == 80 and len(cache) == 2
