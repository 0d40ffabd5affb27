"""LangChain's Anthropic chat model, its messages sent past the SDK's request transform."""

from __future__ import annotations

from typing import Any

from langchain_anthropic import ChatAnthropic

from agent_runtime.graphs.request_body import unwalked


class PlainBodyChatAnthropic(ChatAnthropic):
    # The payload is changed only for the SDK call: LangChain reads it again afterwards
    # (for documents and tools in the messages) to decide how to parse the stream.
    def _create(self, payload: dict[str, Any]) -> Any:
        return super()._create(unwalked(payload, "messages"))

    async def _acreate(self, payload: dict[str, Any]) -> Any:
        return await super()._acreate(unwalked(payload, "messages"))
