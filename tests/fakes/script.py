"""What the fake provider answers: scripted replies, and how reply text is cut into chunks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class _Streamed:
    # None takes the provider's own delay_per_chunk.
    delay_per_chunk: float | None = None
    # Close the connection after this many content chunks, without finishing the response.
    abort_after: int | None = None
    # Send the whole stream in one write, as tokens a provider buffered arrive together.
    burst: bool = False


@dataclass(frozen=True)
class TextReply(_Streamed):
    """Plain assistant text, streamed in `chunks` pieces."""

    text: str
    chunks: int = 4


@dataclass(frozen=True)
class ToolCallReply(_Streamed):
    """One tool call; its JSON arguments streamed in `chunks` pieces where the protocol allows."""

    name: str
    args: dict[str, Any]
    call_id: str = "call_fake_1"
    chunks: int = 3


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error before any byte of the body, served `times` times in a row."""

    status: int = 500
    message: str = "The fake provider was scripted to fail"
    times: int = 1


Reply = TextReply | ToolCallReply | ErrorReply


def split_text(text: str, chunks: int) -> list[str]:
    """Split `text` into at most `chunks` non-empty pieces along word boundaries."""
    return _group(re.findall(r"\S+\s*|\s+", text), chunks)


def split_even(text: str, chunks: int) -> list[str]:
    """Split `text` into at most `chunks` non-empty pieces of near-equal length."""
    return _group(list(text), chunks)


def _group(parts: list[str], chunks: int) -> list[str]:
    if not parts:
        return []
    count = max(1, min(chunks, len(parts)))
    size, extra = divmod(len(parts), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append("".join(parts[start:end]))
        start = end
    return pieces
