"""The `agent` graph: a tool-calling loop around the configured chat model."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from langchain.agents import create_agent
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.store.base import BaseStore

from agent_runtime.graphs.config import DEFAULT_SYSTEM_PROMPT, GraphConfig, parse_graph_config
from agent_runtime.graphs.models import (
    ModelParams,
    ProviderEnv,
    chat_model_for,
    resolve_model_params,
)
from agent_runtime.graphs.spec import AnyGraph, Checkpointer, GraphSpec
from agent_runtime.graphs.user_context import UserContextMiddleware

logger = logging.getLogger(__name__)

AGENT_GRAPH_ID = "agent"
Tool = BaseTool | Callable[..., Any]


def build_agent(
    config: RunnableConfig | None,
    env: ProviderEnv,
    *,
    checkpointer: Checkpointer | None,
    store: BaseStore | None,
    tools: Sequence[Tool] = (),
) -> AnyGraph:
    """The compiled agent for this run's `configurable`, shared by runs configured alike."""
    return _COMPILED.get(_recipe(config, env, checkpointer, store, tools))


def _recipe(
    config: RunnableConfig | None,
    env: ProviderEnv,
    checkpointer: Checkpointer | None,
    store: BaseStore | None,
    tools: Sequence[Tool],
) -> _Recipe:
    graph_config = parse_graph_config(config)
    params = resolve_model_params(graph_config, env)
    return _Recipe(params, graph_config.effective_system_prompt, tuple(tools), checkpointer, store)


def agent_spec(env: ProviderEnv, tools: Sequence[Tool] = ()) -> GraphSpec:
    """Register the agent graph with the given provider settings and tools."""

    def build(
        config: RunnableConfig, checkpointer: Checkpointer | None, store: BaseStore | None
    ) -> AnyGraph:
        return build_agent(config, env, checkpointer=checkpointer, store=store, tools=tools)

    def built(
        config: RunnableConfig, checkpointer: Checkpointer | None, store: BaseStore | None
    ) -> AnyGraph | None:
        return _COMPILED.peek(_recipe(config, env, checkpointer, store, tools))

    return GraphSpec(
        graph_id=AGENT_GRAPH_ID,
        description="A ReAct agent that answers with the configured chat model and tools.",
        config_schema=GraphConfig,
        build=build,
        schema_graph=schema_only_agent,
        built=built,
    )


@cache
def schema_only_agent() -> AnyGraph:
    """The agent's structure with a model that cannot run: enough for its schemas."""
    return _compile(_SchemaOnlyModel(), DEFAULT_SYSTEM_PROMPT, (), None, None)


def _compile(
    model: BaseChatModel,
    system_prompt: str,
    tools: tuple[Tool, ...],
    checkpointer: Checkpointer | None,
    store: BaseStore | None,
) -> AnyGraph:
    return create_agent(
        model,
        list(tools),
        system_prompt=system_prompt,
        checkpointer=checkpointer,
        store=store,
        middleware=[UserContextMiddleware()],
        name=AGENT_GRAPH_ID,
    )


@dataclass(frozen=True)
class _Recipe:
    """What an agent is compiled from."""

    params: ModelParams
    system_prompt: str
    tools: tuple[Tool, ...]
    checkpointer: Checkpointer | None
    store: BaseStore | None

    def key(self) -> tuple[Any, ...]:
        # Tools, checkpointers and stores by identity: tools are not hashable.
        ids = (tuple(map(id, self.tools)), id(self.checkpointer), id(self.store))
        return (self.params, self.system_prompt, *ids)


class _CompiledAgents:
    """A small LRU of compiled agents.

    Each entry keeps its recipe, and so references to the objects keyed by identity: an id
    cannot be reused by another object while it is cached.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[Any, ...], tuple[AnyGraph, _Recipe]] = OrderedDict()
        self._lock = threading.Lock()
        self._compiling = threading.Lock()

    def peek(self, recipe: _Recipe) -> AnyGraph | None:
        """The cached agent, or None without compiling one."""
        return self._lookup(recipe.key())

    def get(self, recipe: _Recipe) -> AnyGraph:
        key = recipe.key()
        if (graph := self._lookup(key)) is not None:
            return graph
        # One compile at a time, under a lock of its own: `peek` takes `_lock` on the event
        # loop, which would stop for the whole compile (a fresh server's first runs held
        # every request up to 190 ms). Callers of `get` wait here in their threads.
        with self._compiling:
            if (graph := self._lookup(key)) is not None:
                return graph
            model = chat_model_for(recipe.params)
            graph = _compile(
                model, recipe.system_prompt, recipe.tools, recipe.checkpointer, recipe.store
            )
            with self._lock:
                self._entries[key] = (graph, recipe)
                if len(self._entries) > self._maxsize:
                    self._entries.popitem(last=False)
                cached = len(self._entries)
        logger.debug("compiled agent graph", extra={"cached_graphs": cached})
        return graph

    def _lookup(self, key: tuple[Any, ...]) -> AnyGraph | None:
        with self._lock:
            return self._cached(key)

    def _cached(self, key: tuple[Any, ...]) -> AnyGraph | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]


_COMPILED = _CompiledAgents(maxsize=64)


class _SchemaOnlyModel(BaseChatModel):
    @property
    def _llm_type(self) -> str:
        return "schema-only"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        raise RuntimeError("The schema-only agent graph cannot generate; build it for a run")
