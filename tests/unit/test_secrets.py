"""Which configurable keys count as credentials, kept out of stored runs and checkpoints."""

from __future__ import annotations

from typing import TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph

from agent_runtime.runs.checkpoints import MemoryCheckpointer
from agent_runtime.runs.secrets import is_secret_key, split_secrets, with_secrets


@pytest.mark.parametrize(
    "key",
    [
        "x-supabase-access-token",
        "githubToken",
        "x-session-token",
        "custom_api_key",
        "apiKeys",
        "client_secret",
        "db_password",
        "Authorization",
    ],
)
def test_credentials_are_secret(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["max_tokens", "tokens", "model_name", "tone", "x-tenant"])
def test_settings_are_not_secret(key: str) -> None:
    assert not is_secret_key(key)


def test_split_then_restore_gives_the_config_back() -> None:
    config = {"tags": ["a"], "configurable": {"apiKeys": {"K": "v"}, "max_tokens": 5}}
    public, secrets = split_secrets(config)
    assert public == {"tags": ["a"], "configurable": {"max_tokens": 5}}
    assert secrets == {"apiKeys": {"K": "v"}}
    assert with_secrets(public, secrets) == config


async def test_the_memory_checkpointer_keeps_credentials_out_of_checkpoints() -> None:
    class State(TypedDict):
        n: int

    builder = StateGraph(State)
    builder.add_node("step", lambda state: {"n": state["n"] + 1})
    builder.add_edge(START, "step")
    checkpointer = MemoryCheckpointer()
    graph = builder.compile(checkpointer=checkpointer)
    config = RunnableConfig(configurable={"thread_id": "t1", "custom_api_key": "sk-secret"})

    assert await graph.ainvoke({"n": 1}, config) == {"n": 2}  # through `aput`
    graph.invoke({"n": 5}, config)  # through `put`

    stored = [c async for c in checkpointer.alist(RunnableConfig(configurable={"thread_id": "t1"}))]
    assert len(stored) >= 4
    assert all("sk-secret" not in repr(c.metadata) for c in stored)
    assert all("sk-secret" not in repr(c.config) for c in stored)
