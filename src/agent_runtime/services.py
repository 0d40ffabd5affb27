"""The objects a running app holds, built in the lifespan and handed to handlers."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from agent_runtime.config import Settings
from agent_runtime.graphs import GraphRegistry
from agent_runtime.graphs.spec import AnyGraph
from agent_runtime.storage.base import (
    AssistantRepository,
    RunRepository,
    StoreRepository,
    ThreadRepository,
)

# The namespace LangGraph uses for system assistant ids, so ids match across runtimes.
SYSTEM_ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


@functools.cache  # a SHA-1 on every run request otherwise; graph ids are few
def system_assistant_id(graph_id: str) -> str:
    return str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, graph_id))


@dataclass
class Services:
    settings: Settings
    graphs: GraphRegistry
    assistants: AssistantRepository
    threads: ThreadRepository
    runs: RunRepository
    checkpointer: BaseCheckpointSaver[Any]
    store: BaseStore | None
    persistence: str
    # What the Store API serves; `store` is the same items as graphs see them.
    store_items: StoreRepository | None = None
    # Raises ServiceUnavailable while the storage cannot answer; None: always healthy.
    check_health: Callable[[], Awaitable[None]] | None = None
    _state_graphs: dict[str, AnyGraph] = field(default_factory=dict)

    def resolve_assistant_id(self, assistant_id: str) -> str:
        """A graph id stands for that graph's system assistant."""
        if self.graphs.has(assistant_id):
            return system_assistant_id(assistant_id)
        return assistant_id

    def state_graph(self, graph_id: str) -> AnyGraph:
        """The graph's structure bound to the checkpointer: enough to read and update state,
        with no model credentials needed."""
        graph = self._state_graphs.get(graph_id)
        if graph is None:
            structure = self.graphs.structure(graph_id)
            graph = structure.copy(update={"checkpointer": self.checkpointer, "store": self.store})
            self._state_graphs[graph_id] = graph
        return graph
