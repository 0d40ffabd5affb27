"""Graphs of the deployer's own, named in settings as `{"graph_id": "module:attribute"}`.

The attribute may be a `GraphSpec`, a `StateGraph` (compiled here with the runtime's
checkpointer and store) or an already compiled graph (given them by copy). A module may also
be a path to a `.py` file, as in `langgraph.json`.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore

from agent_runtime.graphs.spec import AnyGraph, Checkpointer, GraphSpec


class GraphLoadError(Exception):
    """A configured graph could not be imported; the message names it."""


def load_graph_specs(targets: dict[str, str]) -> list[GraphSpec]:
    return [load_graph_spec(graph_id, target) for graph_id, target in targets.items()]


def load_graph_spec(graph_id: str, target: str) -> GraphSpec:
    module_name, _, attribute = target.rpartition(":")
    if not module_name or not attribute:
        raise GraphLoadError(f"Graph '{graph_id}': expected 'module:attribute', got '{target}'")
    try:
        module = _import(module_name)
        obj = getattr(module, attribute)
    except (ImportError, AttributeError, OSError) as exc:
        raise GraphLoadError(f"Graph '{graph_id}': cannot load '{target}': {exc}") from exc
    if isinstance(obj, GraphSpec):
        return replace(obj, graph_id=graph_id)
    if isinstance(obj, (StateGraph, Pregel)):
        return _spec_for(graph_id, obj)
    raise GraphLoadError(
        f"Graph '{graph_id}': '{target}' is a {type(obj).__name__}, "
        "not a StateGraph, compiled graph or GraphSpec"
    )


def _import(module_name: str) -> Any:
    if not module_name.endswith(".py"):
        return importlib.import_module(module_name)
    path = Path(module_name).resolve()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"not a Python file: {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _spec_for(graph_id: str, graph: StateGraph[Any] | AnyGraph) -> GraphSpec:
    bound: dict[tuple[int, int], AnyGraph] = {}
    lock = threading.Lock()

    def bind(checkpointer: Checkpointer | None, store: BaseStore | None) -> AnyGraph:
        if isinstance(graph, StateGraph):
            return graph.compile(checkpointer=checkpointer, store=store, name=graph_id)
        return graph.copy(update={"checkpointer": checkpointer, "store": store})

    def build(
        config: RunnableConfig, checkpointer: Checkpointer | None, store: BaseStore | None
    ) -> AnyGraph:
        key = (id(checkpointer), id(store))
        with lock:
            if key not in bound:
                bound[key] = bind(checkpointer, store)
            return bound[key]

    def built(
        config: RunnableConfig, checkpointer: Checkpointer | None, store: BaseStore | None
    ) -> AnyGraph | None:
        with lock:
            return bound.get((id(checkpointer), id(store)))

    return GraphSpec(
        graph_id=graph_id,
        description=f"User graph '{graph_id}'",
        config_schema=None,
        build=build,
        schema_graph=lambda: bind(None, None),
        built=built,
    )
