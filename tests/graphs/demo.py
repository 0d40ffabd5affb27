"""A graph for run tests: a subgraph, a custom stream write, and a human-in-the-loop pause."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    notes: list[str]
    answer: str


def prepare(state: State) -> dict[str, Any]:
    get_stream_writer()({"progress": "preparing"})
    return {"notes": [*state.get("notes", []), "prepared"]}


def ask(state: State) -> dict[str, Any]:
    answer = interrupt({"question": "Approve?"})
    return {"answer": str(answer)}


def report(state: State) -> dict[str, Any]:
    return {"messages": [AIMessage(content=f"answer: {state.get('answer')}")]}


inner = StateGraph(State).add_node("prepare", prepare)
inner.add_edge(START, "prepare")
inner.add_edge("prepare", END)

graph = StateGraph(State)
graph.add_node("inner", inner.compile())
graph.add_node("ask", ask)
graph.add_node("report", report)
graph.add_edge(START, "inner")
graph.add_edge("inner", "ask")
graph.add_edge("ask", "report")
graph.add_edge("report", END)
