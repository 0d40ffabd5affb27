"""Chat models per provider prefix, checked on the wire against the fake provider."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_openai import ChatOpenAI
from pydantic import SecretStr
from tests.fakes.provider_env import FAKE_KEYS, provider_env
from tests.fakes.providers import ErrorReply, FakeProvider, TextReply, ToolCallReply

from agent_runtime.graphs import (
    GraphConfig,
    GraphConfigError,
    ModelConfigError,
    ProviderEnv,
    create_chat_model,
    parse_graph_config,
)
from agent_runtime.graphs.request_body import unwalked

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"


def google_path(model: str) -> str:
    # google-genai chooses the API version segment (v1 now, v1beta in older releases).
    return rf"/v1(beta)?/models/{re.escape(model)}:streamGenerateContent"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def provider(server: FakeProvider) -> FakeProvider:
    server.reset()
    return server


def configured(model_name: str, **extra: Any) -> GraphConfig:
    return GraphConfig(model_name=model_name, temperature=0.3, max_tokens=123, **extra)


WIRE_CASES = [
    pytest.param("openai:gpt-4o", {}, OPENAI_PATH, "gpt-4o", "openai_api_key", id="openai"),
    pytest.param("gpt-4o-mini", {}, OPENAI_PATH, "gpt-4o-mini", "openai_api_key", id="no-prefix"),
    pytest.param(
        "anthropic:claude-sonnet-4-0",
        {},
        ANTHROPIC_PATH,
        "claude-sonnet-4-0",
        "anthropic_api_key",
        id="anthropic",
    ),
    pytest.param(
        "google:gemini-2.5-pro",
        {},
        google_path("gemini-2.5-pro"),
        "gemini-2.5-pro",
        "google_api_key",
        id="google",
    ),
    pytest.param(
        "google_genai:gemini-2.5-flash",
        {},
        google_path("gemini-2.5-flash"),
        "gemini-2.5-flash",
        "google_api_key",
        id="google_genai",
    ),
    pytest.param(
        "custom:",
        {"custom_model_name": "local-llama", "custom_api_key": "sk-typed-in-ui"},
        OPENAI_PATH,
        "local-llama",
        None,
        id="custom",
    ),
]


@pytest.mark.parametrize(("model_name", "extra", "path", "model", "key_setting"), WIRE_CASES)
async def test_each_prefix_reaches_its_provider_with_model_key_and_limits(
    provider: FakeProvider,
    model_name: str,
    extra: dict[str, Any],
    path: str,
    model: str,
    key_setting: str | None,
) -> None:
    if model_name.startswith("custom:"):
        extra = {**extra, "base_url": provider.openai_base_url}
    chat = create_chat_model(configured(model_name, **extra), provider_env(provider))

    reply = await chat.ainvoke("hello wire")

    assert reply.text == "Echo: hello wire"
    [request] = provider.requests
    assert re.fullmatch(path, request.path)
    assert request.model == model
    assert request.api_key == (FAKE_KEYS[key_setting] if key_setting else "sk-typed-in-ui")
    assert request.temperature == 0.3
    assert request.max_tokens == 123
    assert request.streamed


async def test_openai_asks_for_usage_in_the_stream(provider: FakeProvider) -> None:
    chat = create_chat_model(configured("openai:gpt-4o"), provider_env(provider))

    reply = await chat.ainvoke("count me")

    assert provider.requests[0].body["stream_options"] == {"include_usage": True}
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["output_tokens"] > 0


def _conversation() -> list[BaseMessage]:
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    return [
        SystemMessage("Be brief."),
        HumanMessage("find é", name="ann"),
        AIMessage("", tool_calls=[{"name": "lookup", "args": {"q": "é"}, "id": "call-1"}]),
        ToolMessage("found", tool_call_id="call-1"),
        HumanMessage([{"type": "text", "text": "and this?"}, image]),
        AIMessage("a picture"),
        HumanMessage("thanks"),
    ]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
async def test_messages_past_the_sdk_transform_go_out_byte_for_byte_the_same(
    provider: FakeProvider, protocol: str
) -> None:
    """The runtime's OpenAI and Anthropic models hand the conversation to the SDK in
    `extra_body`; the request body is the one the library's own class sends."""
    env = provider_env(provider)
    name = "openai:gpt-4o" if protocol == "openai" else "anthropic:claude-sonnet-4-0"
    ours = create_chat_model(configured(name), env)
    keys = {"api_key": SecretStr("k"), "temperature": 0.3, "max_tokens": 123, "streaming": True}
    library: BaseChatModel = (
        ChatOpenAI(model="gpt-4o", base_url=provider.openai_base_url, stream_usage=True, **keys)
        if protocol == "openai"
        else ChatAnthropic(
            model="claude-sonnet-4-0",
            base_url=provider.anthropic_base_url,
            stream_usage=True,
            **keys,
        )
    )
    assert type(ours) is not type(library)
    tools = [_lookup]

    await ours.bind_tools(tools).ainvoke(_conversation())
    await library.bind_tools(tools).ainvoke(_conversation())

    sent, expected = (request.body for request in provider.requests)
    assert len(sent["messages"]) >= 5
    # Key order too: the body keeps each field where the SDK puts it.
    assert json.dumps(sent) == json.dumps(expected)


def test_the_openai_payload_carries_its_messages_in_extra_body(provider: FakeProvider) -> None:
    chat = create_chat_model(configured("openai:gpt-4o"), provider_env(provider))
    payload = chat._get_request_payload(_conversation())  # type: ignore[attr-defined]
    assert payload["messages"] == []
    assert [m["role"] for m in payload["extra_body"]["messages"]][:2] == ["system", "user"]


def test_a_moved_field_leaves_extra_body_entries_of_the_caller() -> None:
    params = {"model": "m", "messages": [{"role": "user"}], "extra_body": {"ttl": 300}}
    moved = unwalked(params, "messages")
    assert moved == {
        "model": "m",
        "messages": [],
        "extra_body": {"messages": [{"role": "user"}], "ttl": 300},
    }
    assert unwalked({"model": "m", "messages": []}, "messages") == {"model": "m", "messages": []}


async def test_reasoning_models_get_no_temperature(provider: FakeProvider) -> None:
    chat = create_chat_model(configured("openai:o3-mini"), provider_env(provider))

    await chat.ainvoke("think")

    assert "temperature" not in provider.requests[0].body
    assert provider.requests[0].max_tokens == 123


async def test_api_keys_in_configurable_win_over_the_environment(provider: FakeProvider) -> None:
    config = configured(
        "anthropic:claude-3-5-haiku-latest", apiKeys={"ANTHROPIC_API_KEY": "sk-from-user"}
    )
    chat = create_chat_model(config, provider_env(provider))

    await chat.ainvoke("whose key?")

    assert provider.requests[0].api_key == "sk-from-user"


async def test_custom_endpoint_without_any_key_sends_placeholder(provider: FakeProvider) -> None:
    config = configured("custom:", custom_model_name="m", base_url=provider.openai_base_url)
    chat = create_chat_model(config, provider_env(provider, custom_api_key=None))

    await chat.ainvoke("no key")

    assert provider.requests[0].api_key == "EMPTY"


async def test_custom_endpoint_falls_back_to_custom_api_key_setting(
    provider: FakeProvider,
) -> None:
    config = configured("custom:served-model", base_url=provider.openai_base_url)
    chat = create_chat_model(config, provider_env(provider))

    await chat.ainvoke("env key")

    assert provider.requests[0].api_key == FAKE_KEYS["custom_api_key"]
    assert provider.requests[0].model == "served-model"
    assert "stream_options" not in provider.requests[0].body


def test_same_configuration_reuses_one_model_instance(provider: FakeProvider) -> None:
    env = provider_env(provider)

    first = create_chat_model(configured("openai:gpt-4.1"), env)
    again = create_chat_model(configured("openai:gpt-4.1"), env)
    warmer = create_chat_model(GraphConfig(model_name="openai:gpt-4.1", temperature=1.0), env)

    assert first is again
    assert warmer is not first


@pytest.mark.parametrize(
    ("model_name", "extra"),
    [("openai:gpt-4o", {}), ("custom:", {"custom_model_name": "m", "base_url": "http://m"})],
)
def test_openai_streams_keep_a_cancellation_on_python_3_11(
    provider: FakeProvider, model_name: str, extra: dict[str, str]
) -> None:
    # langchain-openai's per-chunk bound is an `asyncio.wait_for`, which on 3.11 drops a
    # cancellation that arrives with a chunk (the run then streams on to its end).
    model = create_chat_model(configured(model_name, **extra), provider_env(provider))
    assert isinstance(model, ChatOpenAI)
    library_default = ChatOpenAI(model="m", api_key=SecretStr("k")).stream_chunk_timeout
    expected = None if sys.version_info < (3, 12) else library_default
    assert model.stream_chunk_timeout == expected


@pytest.mark.parametrize(
    ("model_name", "variable"),
    [
        ("openai:gpt-4o", "OPENAI_API_KEY"),
        ("gpt-4o", "OPENAI_API_KEY"),
        ("anthropic:claude-sonnet-4-0", "ANTHROPIC_API_KEY"),
        ("google:gemini-2.5-pro", "GOOGLE_API_KEY"),
        ("google_genai:gemini-2.5-pro", "GOOGLE_API_KEY"),
    ],
)
def test_missing_key_names_the_variable_to_set(model_name: str, variable: str) -> None:
    with pytest.raises(ModelConfigError) as caught:
        create_chat_model(GraphConfig(model_name=model_name), ProviderEnv())

    provider = variable.removesuffix("_API_KEY").lower()
    assert str(caught.value) == (
        f"Missing API key for provider '{provider}': "
        f"set {variable} or configurable.apiKeys.{variable}"
    )


def test_blank_key_counts_as_missing() -> None:
    config = GraphConfig(model_name="openai:gpt-4o", apiKeys={"OPENAI_API_KEY": "  "})

    with pytest.raises(ModelConfigError, match="set OPENAI_API_KEY"):
        create_chat_model(config, ProviderEnv(openai_api_key=""))


def test_unknown_prefix_lists_the_known_ones() -> None:
    with pytest.raises(ModelConfigError) as caught:
        create_chat_model(GraphConfig(model_name="foo:bar"), ProviderEnv())

    assert str(caught.value) == (
        "Unknown model provider 'foo' in model_name 'foo:bar'. "
        "Known prefixes: 'openai:', 'anthropic:', 'google:', 'google_genai:', 'custom:'"
    )


@pytest.mark.parametrize(
    ("configurable", "message"),
    [
        ({"model_name": "custom:"}, "set configurable.custom_model_name"),
        ({"model_name": "custom:m"}, "set configurable.base_url"),
        ({"model_name": "openai:"}, "model_name 'openai:' names no model"),
    ],
)
def test_incomplete_model_settings_say_what_is_missing(
    configurable: dict[str, Any], message: str
) -> None:
    with pytest.raises(ModelConfigError, match=re.escape(message)):
        create_chat_model(GraphConfig.model_validate(configurable), ProviderEnv())


@pytest.mark.parametrize(
    ("configurable", "message"),
    [
        ({"temperature": 7}, "temperature: Input should be less than or equal to 2"),
        ({"max_tokens": -1}, "max_tokens: Input should be greater than or equal to 1"),
        ({"max_tokens": "many"}, "max_tokens: Input should be a valid integer"),
        ({"apiKeys": {"OPENAI_API_KEY": 3}}, "apiKeys.OPENAI_API_KEY: Input should be a valid"),
        ({"base_url": "localhost:8000"}, "base_url: Value error, must be an http:// or https://"),
    ],
)
def test_invalid_configurable_names_the_field(configurable: dict[str, Any], message: str) -> None:
    with pytest.raises(GraphConfigError) as caught:
        parse_graph_config({"configurable": configurable})

    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(message)


def test_configurable_defaults_and_ignores_run_keys() -> None:
    config = parse_graph_config(
        {"configurable": {"thread_id": "t", "owner": "u", "x-trace": "1", "system_prompt": None}}
    )

    assert config.model_name == "openai:gpt-4o"
    assert config.temperature == 0.7
    assert config.max_tokens == 4000
    assert config.system_prompt.startswith("You are a helpful assistant. You have access ONLY")
    assert config.apiKeys is None


def _non_streaming(protocol: str, provider: FakeProvider) -> BaseChatModel:
    if protocol == "openai":
        return ChatOpenAI(model="gpt-4o", api_key=SecretStr("k"), base_url=provider.openai_base_url)
    if protocol == "anthropic":
        return ChatAnthropic(
            model="claude-3-5-haiku-latest",
            api_key=SecretStr("k"),
            base_url=provider.anthropic_base_url,
        )
    return ChatGoogleGenerativeAI(
        model="gemini-2.5-flash",
        google_api_key=SecretStr("k"),
        base_url=provider.google_base_url,
        vertexai=False,
    )


PROTOCOLS = ["openai", "anthropic", "google"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_fake_answers_non_streaming_requests(provider: FakeProvider, protocol: str) -> None:
    chat = _non_streaming(protocol, provider)
    provider.script(TextReply("Plain answer."), ToolCallReply("lookup", {"q": "x"}))

    text = await chat.ainvoke("hi")
    call = await chat.bind_tools([_lookup]).ainvoke("look it up")

    assert text.text == "Plain answer."
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("lookup", {"q": "x"})]
    assert not any(request.streamed for request in provider.requests)


def _lookup(q: str) -> str:
    """Look something up."""
    return q


@pytest.mark.parametrize(
    "model_name", ["openai:gpt-4o", "anthropic:claude-3-7-sonnet-latest", "google:gemini-2.5-pro"]
)
async def test_http_error_surfaces_after_one_attempt_without_retries(
    provider: FakeProvider, model_name: str
) -> None:
    # 503 is retryable for every SDK, so a second request would show that retries were on.
    provider.script(ErrorReply(status=503, message="provider overloaded", times=3))
    chat = create_chat_model(configured(model_name), provider_env(provider))

    with pytest.raises(Exception, match="provider overloaded"):
        await chat.ainvoke("fail please")

    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    "model_name", ["openai:gpt-4o", "anthropic:claude-sonnet-4-0", "google:gemini-2.5-pro"]
)
async def test_abort_mid_stream_breaks_the_response(
    provider: FakeProvider, model_name: str
) -> None:
    provider.script(TextReply("one two three four five", chunks=5, abort_after=2))
    chat = create_chat_model(configured(model_name), provider_env(provider))

    received: list[str] = []
    with pytest.raises(Exception):  # noqa: B017 - each SDK wraps the broken stream its own way
        async for chunk in chat.astream("break"):
            received.append(chunk.text)

    assert "".join(received) == "one two "
    [stream] = provider.streams
    assert stream.aborted and stream.chunks_sent == 2 and not stream.completed
