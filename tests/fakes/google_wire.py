"""Gemini Developer API: `POST /v1beta/models/{model}:generateContent` and
`:streamGenerateContent?alt=sse`, where every event is a whole GenerateContentResponse."""

from __future__ import annotations

from typing import Any

from .script import ErrorReply, TextReply, ToolCallReply, split_text
from .wire import SseBody, fake_id, prompt_tokens, sse


def last_user_text(body: dict[str, Any]) -> str:
    for content in reversed(body.get("contents") or []):
        if content.get("role", "user") != "user":
            continue
        texts = [part.get("text", "") for part in content.get("parts") or []]
        if text := "".join(t for t in texts if isinstance(t, str)):
            return text
    return ""


def error_body(reply: ErrorReply) -> dict[str, Any]:
    return {"error": {"code": reply.status, "message": reply.message, "status": "INTERNAL"}}


def complete(reply: TextReply | ToolCallReply, body: dict[str, Any], model: str) -> dict[str, Any]:
    events = _events(reply)
    parts = [part for event in events for part in event]
    if isinstance(reply, TextReply):
        parts = [{"text": reply.text}]
    return _response(body, model, fake_id("resp-"), parts, len(events), final=True)


def stream(reply: TextReply | ToolCallReply, body: dict[str, Any], model: str) -> SseBody:
    response_id = fake_id("resp-")
    events = _events(reply)
    # Gemini's own stream separates events with CRLF pairs.
    return SseBody(
        chunks=[
            sse(
                _response(
                    body, model, response_id, parts, index + 1, final=index == len(events) - 1
                ),
                newline="\r\n",
            )
            for index, parts in enumerate(events)
        ]
    )


def _events(reply: TextReply | ToolCallReply) -> list[list[dict[str, Any]]]:
    """The parts of each streamed event."""
    if isinstance(reply, ToolCallReply):
        # Gemini never splits a function call across events.
        return [[{"functionCall": {"name": reply.name, "args": reply.args}}]]
    return [[{"text": piece}] for piece in split_text(reply.text, reply.chunks)] or [[{"text": ""}]]


def _response(
    body: dict[str, Any],
    model: str,
    response_id: str,
    parts: list[dict[str, Any]],
    produced: int,
    *,
    final: bool,
) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if final:
        candidate["finishReason"] = "STOP"
    prompt = prompt_tokens(body.get("contents"))
    return {
        "candidates": [candidate],
        # Cumulative, as Gemini reports it on every event.
        "usageMetadata": {
            "promptTokenCount": prompt,
            "candidatesTokenCount": produced,
            "totalTokenCount": prompt + produced,
        },
        "modelVersion": model,
        "responseId": response_id,
    }
