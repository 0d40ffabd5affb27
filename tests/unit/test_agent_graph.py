"""The `agent` graph end to end: real LangChain clients, the fake provider, an in-memory saver."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any, cast

import pytest
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from tests.fakes.provider_env import provider_env
from tests.fakes.providers import FakeProvider, TextReply, ToolCallReply

from agent_runtime.graphs import build_agent

MODEL_NAMES = [
    "openai:gpt-4o",
    "anthropic:claude-sonnet-4-0",
    "google:gemini-2.5-flash",
    "custom:",
]


@tool
def get_weather(city: str) -> str:
    """Report the weather in a city."""
    return f"Sunny in {city}"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def provider(server: FakeProvider) -> FakeProvider:
    server.reset()
    return server


def run_config(provider: FakeProvider, model_name: str, thread_id: str = "t-1") -> RunnableConfig:
    configurable: dict[str, Any] = {"model_name": model_name, "thread_id": thread_id}
    if model_name.startswith("custom:"):
        configurable |= {"custom_model_name": "local-model", "base_url": provider.openai_base_url}
    return {"configurable": configurable}


def user_says(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


@pytest.mark.parametrize("model_name", MODEL_NAMES)
async def test_tokens_stream_one_by_one_under_one_message_id(
    provider: FakeProvider, model_name: str
) -> None:
    provider.script(TextReply("Tokens arrive one by one.", chunks=5, delay_per_chunk=0.05))
    config = run_config(provider, model_name)
    graph = build_agent(config, provider_env(provider), checkpointer=InMemorySaver(), store=None)

    arrivals: list[tuple[float, AIMessageChunk]] = []
    async for event in graph.astream(user_says("stream please"), config, stream_mode="messages"):
        message, metadata = cast(tuple[BaseMessage, dict[str, Any]], event)
        assert metadata["langgraph_node"] == "model"
        if isinstance(message, AIMessageChunk) and message.text:
            arrivals.append((time.monotonic(), message))

    chunks = [chunk for _, chunk in arrivals]
    assert [chunk.text for chunk in chunks] == ["Tokens ", "arrive ", "one ", "by ", "one."]
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id
    # Spread over the provider's pacing rather than delivered in one burst at the end.
    assert arrivals[-1][0] - arrivals[0][0] >= 0.15


class TokensRead(AsyncCallbackHandler):
    """Counts the tokens the model call has read so far."""

    run_inline = True

    def __init__(self) -> None:
        self.count = 0

    async def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


@pytest.mark.parametrize("model_name", MODEL_NAMES)
async def test_tokens_that_arrive_together_still_stream_one_by_one(
    provider: FakeProvider, model_name: str
) -> None:
    # The whole reply in one write, which the model's client reads without waiting. Each
    # token must still reach the stream's reader (another task, as the HTTP response is) as
    # it is read, not once the burst is.
    provider.script(TextReply("word " * 20, chunks=20, burst=True))
    read = TokensRead()
    config = run_config(provider, model_name) | {"callbacks": [read]}
    graph = build_agent(config, provider_env(provider), checkpointer=InMemorySaver(), store=None)

    tokens: asyncio.Queue[str | None] = asyncio.Queue()
    read_by_then: list[int] = []

    async def respond() -> None:
        while await tokens.get() is not None:
            read_by_then.append(read.count)

    responder = asyncio.create_task(respond())
    async for message, _ in graph.astream(user_says("burst"), config, stream_mode="messages"):
        if isinstance(message, AIMessageChunk) and message.text:
            tokens.put_nowait(message.text)
    tokens.put_nowait(None)
    await responder

    assert len(read_by_then) == 20
    # How many tokens further the model call had read when each one was handed over: a
    # few loop turns' worth, where a burst read whole shows the rest of the burst.
    lags = [n - i for i, n in enumerate(read_by_then, 1)]
    assert max(lags) <= 8, read_by_then


@pytest.mark.parametrize("model_name", MODEL_NAMES)
async def test_tool_call_round_trips_through_the_agent(
    provider: FakeProvider, model_name: str
) -> None:
    provider.script(
        ToolCallReply("get_weather", {"city": "Paris"}, call_id="call_paris"),
        TextReply("It is sunny in Paris."),
    )
    config = run_config(provider, model_name)
    graph = build_agent(
        config,
        provider_env(provider),
        checkpointer=InMemorySaver(),
        store=None,
        tools=[get_weather],
    )

    result = await graph.ainvoke(user_says("Weather in Paris?"), config)

    human, call, tool_message, answer = result["messages"]
    assert isinstance(human, HumanMessage)
    assert isinstance(call, AIMessage)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("get_weather", {"city": "Paris"})]
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.content == "Sunny in Paris"
    assert tool_message.tool_call_id == call.tool_calls[0]["id"]
    assert isinstance(answer, AIMessage) and answer.text == "It is sunny in Paris."

    first, second = provider.requests
    assert first.tool_names == second.tool_names == ["get_weather"]
    assert first.tool_results == []
    [(ref, content)] = second.tool_results
    if first.protocol == "google":
        assert (ref, content) == ("get_weather", {"output": "Sunny in Paris"})
    else:
        assert (ref, content) == ("call_paris", "Sunny in Paris")


async def test_system_prompt_from_configurable_reaches_the_model(provider: FakeProvider) -> None:
    config = run_config(provider, "openai:gpt-4o")
    config["configurable"]["system_prompt"] = "Answer in French."
    graph = build_agent(config, provider_env(provider), checkpointer=None, store=None)

    await graph.ainvoke(user_says("Bonjour"), config)

    messages = provider.requests[0].body["messages"]
    assert messages[0] == {"role": "system", "content": "Answer in French."}


async def test_checkpointer_carries_the_conversation_to_the_next_turn(
    provider: FakeProvider,
) -> None:
    config = run_config(provider, "anthropic:claude-3-5-haiku-latest", thread_id="memory")
    graph = build_agent(config, provider_env(provider), checkpointer=InMemorySaver(), store=None)

    await graph.ainvoke(user_says("first"), config)
    result = await graph.ainvoke(user_says("second"), config)

    assert [m.text for m in result["messages"]] == [
        "first",
        "Echo: first",
        "second",
        "Echo: second",
    ]
    assert len(provider.requests[1].body["messages"]) == 3


def test_same_settings_reuse_the_compiled_graph(provider: FakeProvider) -> None:
    env = provider_env(provider)
    saver, store = InMemorySaver(), InMemoryStore()
    config = run_config(provider, "openai:gpt-4o", thread_id="a")
    other_thread = run_config(provider, "openai:gpt-4o", thread_id="b")

    graph = build_agent(config, env, checkpointer=saver, store=store)

    assert build_agent(other_thread, env, checkpointer=saver, store=store) is graph
    assert build_agent(config, env, checkpointer=InMemorySaver(), store=store) is not graph
    other_model = run_config(provider, "openai:gpt-4o-mini")
    assert build_agent(other_model, env, checkpointer=saver, store=store) is not graph
    assert graph.checkpointer is saver and graph.store is store


async def test_cancelling_a_run_closes_the_provider_connection(provider: FakeProvider) -> None:
    provider.script(TextReply("a b c d e f g h", chunks=8, delay_per_chunk=0.2))
    config = run_config(provider, "openai:gpt-4o")
    graph = build_agent(config, provider_env(provider), checkpointer=InMemorySaver(), store=None)
    first_token = asyncio.Event()

    async def consume() -> None:
        async for message, _ in graph.astream(user_says("go"), config, stream_mode="messages"):
            if isinstance(message, AIMessageChunk) and message.text:
                first_token.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_token.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    await provider.wait_for(lambda: provider.streams[0].finished.is_set())
    [stream] = provider.streams
    assert stream.client_disconnected and not stream.completed
    assert stream.chunks_sent < 8
