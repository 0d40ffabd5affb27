"""Anthropic Messages: `POST /v1/messages`, JSON or named SSE events."""

from __future__ import annotations

import json
from typing import Any

from .script import ErrorReply, TextReply, ToolCallReply, split_even, split_text
from .wire import SseBody, fake_id, prompt_tokens, sse, text_of


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and (text := text_of(message.get("content"))):
            return text
    return ""


def error_body(reply: ErrorReply) -> dict[str, Any]:
    return {"type": "error", "error": {"type": "api_error", "message": reply.message}}


def complete(reply: TextReply | ToolCallReply, body: dict[str, Any]) -> dict[str, Any]:
    if isinstance(reply, TextReply):
        block: dict[str, Any] = {"type": "text", "text": reply.text}
        stop, produced = "end_turn", len(split_text(reply.text, reply.chunks))
    else:
        block = {"type": "tool_use", "id": reply.call_id, "name": reply.name, "input": reply.args}
        stop, produced = "tool_use", 1
    return {
        **_message(body),
        "content": [block],
        "stop_reason": stop,
        "usage": {"input_tokens": prompt_tokens(body.get("messages")), "output_tokens": produced},
    }


def stream(reply: TextReply | ToolCallReply, body: dict[str, Any]) -> SseBody:
    if isinstance(reply, TextReply):
        block: dict[str, Any] = {"type": "text", "text": ""}
        deltas = [
            {"type": "text_delta", "text": piece} for piece in split_text(reply.text, reply.chunks)
        ]
        stop = "end_turn"
    else:
        block = {"type": "tool_use", "id": reply.call_id, "name": reply.name, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": piece}
            for piece in split_even(json.dumps(reply.args), reply.chunks)
        ]
        stop = "tool_use"
    prompt = prompt_tokens(body.get("messages"))
    start = {
        **_message(body),
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": prompt, "output_tokens": 1},
    }
    return SseBody(
        prelude=[
            _event("message_start", message=start),
            _event("content_block_start", index=0, content_block=block),
            _event("ping"),
        ],
        chunks=[_event("content_block_delta", index=0, delta=delta) for delta in deltas],
        epilogue=[
            _event("content_block_stop", index=0),
            _event(
                "message_delta",
                delta={"stop_reason": stop, "stop_sequence": None},
                # Cumulative totals, input included, as the Messages API reports them.
                usage={"input_tokens": prompt, "output_tokens": len(deltas)},
            ),
            _event("message_stop"),
        ],
    )


def _message(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": fake_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "stop_sequence": None,
    }


def _event(name: str, **fields: Any) -> bytes:
    return sse({"type": name, **fields}, event=name)
