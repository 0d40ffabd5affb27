"""A graph with long-term memory: it saves what it is told to remember and recalls everything
saved under the caller's `(org, user, assistant, memories)` namespace, from any thread."""

from __future__ import annotations

import uuid
from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from langgraph.graph import END, START, StateGraph

from agent_runtime.store_namespace import (
    CATEGORY_MEMORIES,
    build_namespace,
    extract_namespace_components,
)


class State(TypedDict, total=False):
    remember: str
    memories: list[str]
    counted: int


def _namespace(config: RunnableConfig) -> tuple[str, ...]:
    components = extract_namespace_components(config)
    if components is None:
        raise ValueError("configurable needs supabase_organization_id, owner and assistant_id")
    return build_namespace(*components, CATEGORY_MEMORIES)


async def recall(state: State, config: RunnableConfig) -> dict[str, Any]:
    store = get_store()
    namespace = _namespace(config)
    if state.get("remember"):
        await store.aput(namespace, uuid.uuid4().hex, {"text": state["remember"]})
    items = await store.asearch(namespace, limit=100)
    return {"memories": sorted(item.value["text"] for item in items)}


def count(state: State, config: RunnableConfig) -> dict[str, Any]:
    # A sync node runs in a worker thread; its store calls go through the sync API.
    return {"counted": len(get_store().search(_namespace(config), limit=100))}


graph = StateGraph(State)
graph.add_node("recall", recall)
graph.add_node("count", count)
graph.add_edge(START, "recall")
graph.add_edge("recall", "count")
graph.add_edge("count", END)
