"""How the runtime learns about a graph: its id, settings model and how to build it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore
from pydantic import BaseModel

AnyGraph: TypeAlias = Pregel[Any, Any, Any, Any]
Checkpointer: TypeAlias = BaseCheckpointSaver[Any]
GraphBuilder: TypeAlias = Callable[
    [RunnableConfig, Checkpointer | None, BaseStore | None], AnyGraph
]
GraphLookup: TypeAlias = Callable[
    [RunnableConfig, Checkpointer | None, BaseStore | None], AnyGraph | None
]


@dataclass(frozen=True)
class GraphSpec:
    """A graph the runtime can run; `build` is called per run and may return a cached graph."""

    graph_id: str
    description: str
    config_schema: type[BaseModel] | None
    build: GraphBuilder
    # Builds the graph's structure without credentials, for schemas; None means
    # `build` needs nothing it cannot default.
    schema_graph: Callable[[], AnyGraph] | None = None
    # What `build` would return when that is already built, else None, at no cost worth a
    # thread: a run then skips the worker thread a build runs in.
    built: GraphLookup | None = None
