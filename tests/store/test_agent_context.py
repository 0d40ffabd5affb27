"""The agent graph puts the user's `context` items from the store into its system prompt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.memory import InMemorySaver

from agent_runtime.graphs import build_agent
from agent_runtime.graphs.config import DEFAULT_SYSTEM_PROMPT
from agent_runtime.storage.memory_store import MemoryStoreItems
from agent_runtime.store import RuntimeStore
from agent_runtime.store_namespace import CATEGORY_CONTEXT, GLOBAL_AGENT_ID, build_namespace
from tests.fakes.provider_env import provider_env
from tests.fakes.providers import FakeProvider, TextReply

USER = {"supabase_organization_id": "org-1", "owner": "u-1", "assistant_id": "a-1"}


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def config(thread_id: str, **configurable: Any) -> RunnableConfig:
    return {"configurable": {"model_name": "openai:gpt-4o", "thread_id": thread_id, **configurable}}


async def system_prompt_sent(
    provider: FakeProvider, store: RuntimeStore, cfg: RunnableConfig
) -> str:
    provider.reset()
    provider.script(TextReply("ok"))
    graph = build_agent(cfg, provider_env(provider), checkpointer=InMemorySaver(), store=store)
    await graph.ainvoke({"messages": [{"role": "user", "content": "hi"}]}, cfg)
    first = provider.requests[-1].body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


async def test_context_items_reach_the_system_prompt(provider: FakeProvider) -> None:
    items = MemoryStoreItems()
    store = RuntimeStore(items, per_user=False)
    await store.aput(
        build_namespace("org-1", "u-1", "a-1", CATEGORY_CONTEXT), "role", {"text": "CFO"}
    )
    await store.aput(
        build_namespace("org-1", "u-1", GLOBAL_AGENT_ID, CATEGORY_CONTEXT),
        "units",
        {"system": "metric"},
    )
    await store.aput(
        build_namespace("org-1", "u-2", "a-1", CATEGORY_CONTEXT), "other", {"text": "no"}
    )

    prompt = await system_prompt_sent(provider, store, config("t-1", **USER))
    assert prompt.startswith(DEFAULT_SYSTEM_PROMPT)
    assert "- role: CFO" in prompt
    assert '- units: {"system": "metric"}' in prompt
    assert "other" not in prompt


async def test_without_user_components_the_prompt_is_unchanged(provider: FakeProvider) -> None:
    store = RuntimeStore(MemoryStoreItems(), per_user=False)
    await store.aput(
        build_namespace("org-1", "u-1", "a-1", CATEGORY_CONTEXT), "role", {"text": "CFO"}
    )
    partial = {key: value for key, value in USER.items() if key != "supabase_organization_id"}
    assert (
        await system_prompt_sent(provider, store, config("t-2", **partial)) == DEFAULT_SYSTEM_PROMPT
    )
