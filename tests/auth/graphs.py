"""A graph that reports who the runtime says is calling it."""

from __future__ import annotations

from typing import Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph


class State(TypedDict, total=False):
    caller: dict[str, Any]


def report(state: State, config: RunnableConfig) -> dict[str, Any]:
    configurable = config.get("configurable", {})
    return {
        "caller": {
            "owner": configurable.get("owner"),
            "user_id": configurable.get("user_id"),
            "langgraph_auth_user": configurable.get("langgraph_auth_user"),
            "langgraph_auth_user_id": configurable.get("langgraph_auth_user_id"),
            "token": configurable.get("x-supabase-access-token"),
        }
    }


builder = StateGraph(State)
builder.add_node("report", report)
builder.add_edge(START, "report")
builder.add_edge("report", END)
whoami = builder
