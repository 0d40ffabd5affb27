"""The graphs this runtime serves, looked up by id."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from pydantic import TypeAdapter

from agent_runtime.graphs.agent import agent_spec
from agent_runtime.graphs.errors import UnknownGraphError
from agent_runtime.graphs.models import ProviderEnv
from agent_runtime.graphs.spec import AnyGraph, Checkpointer, GraphSpec


class GraphRegistry:
    def __init__(self, specs: Iterable[GraphSpec]) -> None:
        self._specs = {spec.graph_id: spec for spec in specs}
        self._schemas: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        return list(self._specs)

    def has(self, graph_id: str) -> bool:
        return graph_id in self._specs

    def get(self, graph_id: str) -> GraphSpec:
        spec = self._specs.get(graph_id)
        if spec is None:
            raise UnknownGraphError(graph_id, self.ids())
        return spec

    def build(
        self,
        graph_id: str,
        config: RunnableConfig,
        checkpointer: Checkpointer | None,
        store: BaseStore | None,
    ) -> AnyGraph:
        """The graph to run; raises UnknownGraphError, GraphConfigError or ModelConfigError."""
        return self.get(graph_id).build(config, checkpointer, store)

    def built(
        self,
        graph_id: str,
        config: RunnableConfig,
        checkpointer: Checkpointer | None,
        store: BaseStore | None,
    ) -> AnyGraph | None:
        """`build`'s graph if it is already built, else None; raises as `build` does."""
        spec = self.get(graph_id)
        return spec.built(config, checkpointer, store) if spec.built else None

    def structure(self, graph_id: str) -> AnyGraph:
        """The graph's nodes and channels without credentials: enough to read its state."""
        spec = self.get(graph_id)
        return spec.schema_graph() if spec.schema_graph else spec.build({}, None, None)

    def schemas(self, graph_id: str) -> dict[str, Any]:
        """JSON Schemas of the graph's input, output, state, config and context."""
        spec = self.get(graph_id)
        with self._lock:
            if graph_id not in self._schemas:
                self._schemas[graph_id] = _schemas_of(spec, self.structure(graph_id))
            return self._schemas[graph_id]


def default_registry(env: ProviderEnv) -> GraphRegistry:
    """The graphs the runtime serves out of the box."""
    return GraphRegistry([agent_spec(env)])


def _schemas_of(spec: GraphSpec, graph: AnyGraph) -> dict[str, Any]:
    config_schema = spec.config_schema
    return {
        "graph_id": spec.graph_id,
        "input_schema": graph.get_input_jsonschema(),
        "output_schema": graph.get_output_jsonschema(),
        "state_schema": _state_schema(graph),
        "config_schema": config_schema.model_json_schema() if config_schema else None,
        "context_schema": graph.get_context_jsonschema(),
    }


def _state_schema(graph: AnyGraph) -> dict[str, Any] | None:
    if isinstance(graph, CompiledStateGraph):
        return TypeAdapter(graph.builder.state_schema).json_schema()
    # TODO(no such graph yet): derive a state schema for graphs built without StateGraph.
    return None
