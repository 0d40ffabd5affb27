"""Looking graphs up by id, building them per run and describing them as JSON Schema."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel

from agent_runtime.graphs import (
    DEFAULT_SYSTEM_PROMPT,
    GraphConfigError,
    GraphRegistry,
    GraphSpec,
    ModelConfigError,
    ProviderEnv,
    UnknownGraphError,
    default_registry,
)
from agent_runtime.graphs.loader import load_graph_spec

UI_FIELDS = [
    "model_name",
    "temperature",
    "max_tokens",
    "system_prompt",
    "base_url",
    "custom_model_name",
    "custom_api_key",
]


@pytest.fixture
def registry() -> GraphRegistry:
    return default_registry(ProviderEnv())


def test_default_registry_knows_the_agent(registry: GraphRegistry) -> None:
    assert registry.ids() == ["agent"]
    assert registry.get("agent").config_schema is not None


def test_unknown_graph_names_the_known_ones(registry: GraphRegistry) -> None:
    with pytest.raises(UnknownGraphError) as caught:
        registry.get("missing")

    assert str(caught.value) == "Graph 'missing' not found. Known graphs: agent"
    assert isinstance(caught.value, LookupError)


def test_build_for_unknown_graph_raises_the_same_error(registry: GraphRegistry) -> None:
    with pytest.raises(UnknownGraphError, match="Graph 'nope' not found"):
        registry.build("nope", {}, None, None)


def test_build_with_a_key_returns_a_graph_on_the_given_checkpointer() -> None:
    registry = default_registry(ProviderEnv(openai_api_key="sk-test"))
    saver = InMemorySaver()

    graph = registry.build("agent", {"configurable": {"thread_id": "t"}}, saver, None)

    assert graph.checkpointer is saver
    assert "model" in graph.nodes


def test_built_returns_only_a_graph_already_built() -> None:
    registry = default_registry(ProviderEnv(openai_api_key="sk-test"))
    saver = InMemorySaver()
    gpt = {"configurable": {"thread_id": "t", "model_name": "openai:gpt-4o-mini"}}
    warmer = {"configurable": {**gpt["configurable"], "temperature": 0.9}}

    assert registry.built("agent", gpt, saver, None) is None
    graph = registry.build("agent", gpt, saver, None)

    assert registry.built("agent", gpt, saver, None) is graph
    # Another model setting, checkpointer or store is another graph, not built yet.
    assert registry.built("agent", warmer, saver, None) is None
    assert registry.built("agent", gpt, InMemorySaver(), None) is None
    with pytest.raises(GraphConfigError, match="temperature"):
        registry.built("agent", {"configurable": {"temperature": 7}}, saver, None)


@pytest.mark.parametrize(
    ("configurable", "error", "message"),
    [
        ({"temperature": 7}, GraphConfigError, "temperature: Input should be less than or equal"),
        ({}, ModelConfigError, "set OPENAI_API_KEY or configurable.apiKeys.OPENAI_API_KEY"),
        ({"model_name": "foo:bar"}, ModelConfigError, "Unknown model provider 'foo'"),
    ],
)
def test_build_reports_what_the_run_needs(
    registry: GraphRegistry, configurable: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        registry.build("agent", {"configurable": configurable}, None, None)


def test_schemas_need_no_api_key(registry: GraphRegistry) -> None:
    schemas = registry.schemas("agent")

    assert set(schemas) == {
        "graph_id",
        "input_schema",
        "output_schema",
        "state_schema",
        "config_schema",
        "context_schema",
    }
    assert schemas["graph_id"] == "agent"
    assert "messages" in schemas["input_schema"]["properties"]
    assert "messages" in schemas["output_schema"]["properties"]
    assert "messages" in schemas["state_schema"]["properties"]
    assert schemas["context_schema"] in (None, {})


def test_config_schema_carries_ui_hints_for_every_field(registry: GraphRegistry) -> None:
    properties = registry.schemas("agent")["config_schema"]["properties"]

    hints = {name: properties[name]["x_oap_ui_config"] for name in UI_FIELDS}
    assert hints["model_name"]["type"] == "select"
    assert hints["model_name"]["default"] == "openai:gpt-4o"
    assert hints["temperature"] | {"description": None} == {
        "type": "slider",
        "default": 0.7,
        "min": 0,
        "max": 2,
        "step": 0.1,
        "description": None,
    }
    assert (hints["max_tokens"]["type"], hints["max_tokens"]["min"]) == ("number", 1)
    assert hints["system_prompt"]["type"] == "textarea"
    assert properties["system_prompt"]["default"] == DEFAULT_SYSTEM_PROMPT
    assert hints["custom_api_key"]["type"] == "password"


def test_model_options_cover_every_provider(registry: GraphRegistry) -> None:
    properties = registry.schemas("agent")["config_schema"]["properties"]

    options = {
        o["value"]: o["label"] for o in properties["model_name"]["x_oap_ui_config"]["options"]
    }
    assert options["anthropic:claude-sonnet-4-0"] == "Claude Sonnet 4"
    assert options["openai:gpt-4.1-mini"] == "GPT 4.1 mini"
    assert {"google:gemini-2.5-pro", "google:gemini-2.5-flash"} <= set(options)
    assert options["custom:"] == "Custom OpenAI-compatible endpoint"
    assert len(options) == 15


def test_custom_fields_show_only_for_the_custom_model(registry: GraphRegistry) -> None:
    properties = registry.schemas("agent")["config_schema"]["properties"]

    for name in ("base_url", "custom_model_name", "custom_api_key"):
        condition = properties[name]["x_oap_ui_config"]["visible_when"]
        assert condition == {"field": "model_name", "equals": "custom:"}
    for name in ("model_name", "temperature", "max_tokens", "system_prompt"):
        assert "visible_when" not in properties[name]["x_oap_ui_config"]


def test_graph_without_schema_builder_is_described_from_build() -> None:
    class Settings(BaseModel):
        greeting: str = "hi"

    agent = default_registry(ProviderEnv(openai_api_key="sk-test")).get("agent")
    spec = GraphSpec(
        graph_id="plain",
        description="built without a schema-only variant",
        config_schema=Settings,
        build=agent.build,
    )

    schemas = GraphRegistry([spec]).schemas("plain")

    assert schemas["graph_id"] == "plain"
    assert schemas["config_schema"]["properties"]["greeting"]["default"] == "hi"
    assert "messages" in schemas["input_schema"]["properties"]


def test_a_user_graph_is_built_once_per_checkpointer() -> None:
    spec = load_graph_spec("demo", "tests.graphs.demo:graph")
    saver = InMemorySaver()

    assert spec.built is not None
    assert spec.built({}, saver, None) is None
    graph = spec.build({}, saver, None)
    assert spec.built({}, saver, None) is graph
    assert spec.build({}, saver, None) is graph
    assert spec.built({}, InMemorySaver(), None) is None
