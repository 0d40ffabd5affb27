"""A graph that reports the configurable it was run with, for tests of the run config."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph

SHOWN = ("thread_id", "run_id", "assistant_id", "graph_id", "x-tenant", "x-api-key", "answer")


class State(TypedDict, total=False):
    seen: dict[str, Any]


def look(state: State, config: RunnableConfig) -> dict[str, Any]:
    configurable = config.get("configurable") or {}
    return {"seen": {key: configurable.get(key) for key in SHOWN}}


graph = StateGraph(State).add_node("look", look)
graph.add_edge(START, "look")
graph.add_edge("look", END)
