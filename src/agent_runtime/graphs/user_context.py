"""What the agent knows about its user: `context` items from the store, in the system prompt.

Items are read from the caller's `(org, user, assistant, "context")` namespace and from the
user's assistant-independent `(org, user, "global", "context")` one. A run whose config does
not name an organisation, user and assistant gets the prompt unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from langchain.agents.middleware import AgentMiddleware, ModelRequest, ModelResponse
from langchain_core.messages import SystemMessage
from langgraph.config import get_config
from langgraph.store.base import BaseStore, Item

from agent_runtime.store_namespace import (
    CATEGORY_CONTEXT,
    GLOBAL_AGENT_ID,
    NamespaceComponents,
    build_namespace,
    extract_namespace_components,
)

MAX_ITEMS_PER_NAMESPACE = 20
HEADING = "What you know about the user:"


class UserContextMiddleware(AgentMiddleware[Any, Any, Any]):
    async def awrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], Awaitable[ModelResponse[Any]]],
    ) -> ModelResponse[Any]:
        store, components = request.runtime.store, _components()
        if store is None or components is None:
            return await handler(request)
        items: list[Item] = []
        for namespace in _namespaces(components):
            items.extend(await store.asearch(namespace, limit=MAX_ITEMS_PER_NAMESPACE))
        return await handler(_with_items(request, items))

    def wrap_model_call(
        self,
        request: ModelRequest[Any],
        handler: Callable[[ModelRequest[Any]], ModelResponse[Any]],
    ) -> ModelResponse[Any]:
        store, components = request.runtime.store, _components()
        if store is None or components is None:
            return handler(request)
        return handler(_with_items(request, _search(store, components)))


def _components() -> NamespaceComponents | None:
    try:
        return extract_namespace_components(get_config())
    except RuntimeError:  # not inside a run
        return None


def _namespaces(components: NamespaceComponents) -> list[tuple[str, ...]]:
    org, user, assistant = components
    return [
        build_namespace(org, user, assistant, CATEGORY_CONTEXT),
        build_namespace(org, user, GLOBAL_AGENT_ID, CATEGORY_CONTEXT),
    ]


def _search(store: BaseStore, components: NamespaceComponents) -> list[Item]:
    return [
        item
        for namespace in _namespaces(components)
        for item in store.search(namespace, limit=MAX_ITEMS_PER_NAMESPACE)
    ]


def _with_items(request: ModelRequest[Any], items: list[Item]) -> ModelRequest[Any]:
    if not items:
        return request
    lines = "\n".join(f"- {item.key}: {_describe(item.value)}" for item in items)
    base = request.system_message.text if request.system_message else ""
    prompt = f"{base}\n\n{HEADING}\n{lines}".strip()
    return request.override(system_message=SystemMessage(content=prompt))


def _describe(value: dict[str, Any]) -> str:
    text = value.get("content", value.get("text"))
    return text if isinstance(text, str) else json.dumps(value, ensure_ascii=False)
