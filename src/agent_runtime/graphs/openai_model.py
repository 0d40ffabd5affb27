"""LangChain's OpenAI chat model, its messages sent past the SDK's request transform."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_openai import ChatOpenAI

from agent_runtime.graphs.request_body import unwalked


class PlainBodyChatOpenAI(ChatOpenAI):
    def _get_request_payload(
        self, input_: LanguageModelInput, *, stop: list[str] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        # A structured-output request goes through the SDK's parse helpers, which read the
        # messages themselves; the Responses API sends `input`, not `messages`.
        if "response_format" in payload:
            return payload
        return unwalked(payload, "messages")
