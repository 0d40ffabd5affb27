"""Pieces shared by the three provider protocols."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SseBody:
    """A streamed answer: `chunks` carry the content, so delays and aborts apply between them."""

    prelude: list[bytes] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    epilogue: list[bytes] = field(default_factory=list)


def sse(data: Any, event: str | None = None, *, newline: str = "\n") -> bytes:
    head = f"event: {event}{newline}" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return f"{head}data: {payload}{newline}{newline}".encode()


def fake_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def prompt_tokens(body: Any) -> int:
    """A deterministic stand-in for token counting: whitespace-separated words of the request."""
    return max(1, len(json.dumps(body).split()))


def text_of(content: Any, *, text_key: str = "text") -> str:
    """The text in a message `content` that is either a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [part.get(text_key, "") for part in content if isinstance(part, dict)]
        return "".join(text for text in texts if isinstance(text, str))
    return ""


def echo(text: str) -> str:
    return f"Echo: {text}" if text else "Echo: (no user text)"
