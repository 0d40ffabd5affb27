"""OpenAI Chat Completions: `POST /v1/chat/completions`, JSON or SSE ending in `[DONE]`."""

from __future__ import annotations

import json
import time
from typing import Any

from .script import ErrorReply, TextReply, ToolCallReply, split_even, split_text
from .wire import SseBody, fake_id, prompt_tokens, sse, text_of


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and (text := text_of(message.get("content"))):
            return text
    return ""


def error_body(reply: ErrorReply) -> dict[str, Any]:
    return {
        "error": {"message": reply.message, "type": "server_error", "param": None, "code": None}
    }


def complete(reply: TextReply | ToolCallReply, body: dict[str, Any]) -> dict[str, Any]:
    if isinstance(reply, TextReply):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        finish, produced = "stop", len(split_text(reply.text, reply.chunks))
    else:
        message = {"role": "assistant", "content": None, "tool_calls": [_tool_call(reply)]}
        finish, produced = "tool_calls", 1
    return {
        "id": fake_id("chatcmpl-"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(body, produced),
        "system_fingerprint": None,
    }


def stream(reply: TextReply | ToolCallReply, body: dict[str, Any]) -> SseBody:
    envelope = {
        "id": fake_id("chatcmpl-"),
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "system_fingerprint": None,
    }
    with_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        extra = {"usage": None} if with_usage else {}
        return sse({**envelope, "choices": [choice], **extra})

    if isinstance(reply, TextReply):
        deltas = [{"content": piece} for piece in split_text(reply.text, reply.chunks)]
        finish = "stop"
    else:
        deltas = _tool_call_deltas(reply)
        finish = "tool_calls"
    out = SseBody(
        prelude=[chunk({"role": "assistant", "content": ""})],
        chunks=[chunk(delta) for delta in deltas],
        epilogue=[chunk({}, finish)],
    )
    if with_usage:
        out.epilogue.append(sse({**envelope, "choices": [], "usage": _usage(body, len(deltas))}))
    out.epilogue.append(sse("[DONE]"))
    return out


def _tool_call(reply: ToolCallReply) -> dict[str, Any]:
    return {
        "id": reply.call_id,
        "type": "function",
        "function": {"name": reply.name, "arguments": json.dumps(reply.args)},
    }


def _tool_call_deltas(reply: ToolCallReply) -> list[dict[str, Any]]:
    # The first delta names the call; later ones only append argument text to index 0.
    opening = {
        "index": 0,
        "id": reply.call_id,
        "type": "function",
        "function": {"name": reply.name, "arguments": ""},
    }
    pieces = [
        {"index": 0, "function": {"arguments": piece}}
        for piece in split_even(json.dumps(reply.args), reply.chunks)
    ]
    return [{"tool_calls": [call]} for call in [opening, *pieces]]


def _usage(body: dict[str, Any], completion: int) -> dict[str, int]:
    prompt = prompt_tokens(body.get("messages"))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
