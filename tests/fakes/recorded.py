"""What the fake provider received, read the same way whichever protocol carried it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal

Protocol = Literal["openai", "anthropic", "google", "unknown"]


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    json: Any

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}

    @property
    def protocol(self) -> Protocol:
        if self.path.endswith("/chat/completions"):
            return "openai"
        if self.path.endswith("/messages"):
            return "anthropic"
        if "/models/" in self.path:
            return "google"
        return "unknown"

    @property
    def streamed(self) -> bool:
        return bool(self.body.get("stream")) or ":streamGenerateContent" in self.path

    @property
    def model(self) -> str | None:
        if self.protocol == "google":
            return self.path.split("/models/", 1)[1].partition(":")[0]
        return self.body.get("model")

    @property
    def api_key(self) -> str | None:
        """The key as the client sent it: bearer token, x-api-key, x-goog-api-key or ?key=."""
        for header in ("x-api-key", "x-goog-api-key"):
            if header in self.headers:
                return self.headers[header]
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            return token
        for pair in self.query.split("&"):
            name, _, value = pair.partition("=")
            if name == "key":
                return value
        return None

    @property
    def temperature(self) -> Any:
        return self._generation_setting("temperature", "temperature")

    @property
    def max_tokens(self) -> Any:
        if self.protocol == "openai":
            return self.body.get("max_completion_tokens", self.body.get("max_tokens"))
        return self._generation_setting("max_tokens", "maxOutputTokens")

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools the request offered the model."""
        tools = self.body.get("tools") or []
        if self.protocol == "openai":
            return [tool["function"]["name"] for tool in tools]
        if self.protocol == "google":
            return [decl["name"] for tool in tools for decl in tool.get("functionDeclarations", [])]
        return [tool["name"] for tool in tools]

    @property
    def tool_results(self) -> list[tuple[str, Any]]:
        """(call id, or function name for Gemini; content) of every tool result sent back."""
        if self.protocol == "openai":
            return [
                (message.get("tool_call_id"), message.get("content"))
                for message in self.body.get("messages") or []
                if message.get("role") == "tool"
            ]
        if self.protocol == "anthropic":
            return [
                (block.get("tool_use_id"), block.get("content"))
                for message in self.body.get("messages") or []
                if isinstance(message.get("content"), list)
                for block in message["content"]
                if block.get("type") == "tool_result"
            ]
        return [
            (part["functionResponse"]["name"], part["functionResponse"].get("response"))
            for content in self.body.get("contents") or []
            for part in content.get("parts") or []
            if "functionResponse" in part
        ]

    def _generation_setting(self, top_level: str, google: str) -> Any:
        if self.protocol == "google":
            return (self.body.get("generationConfig") or {}).get(google)
        return self.body.get(top_level)


@dataclass
class StreamRecord:
    """How one streamed response ended."""

    path: str
    chunks_sent: int = 0
    completed: bool = False
    aborted: bool = False
    client_disconnected: bool = False
    finished: threading.Event = field(default_factory=threading.Event, repr=False)
