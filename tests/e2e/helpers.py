"""What the end-to-end run tests share: inputs, scripted replies and stream helpers."""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.schema import StreamPart

from tests.fakes.providers import FakeProvider, TextReply

SLOW_WORDS = 40


def ask(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


HUMAN = ask("hi")


def slow_reply(text: str = "word " * SLOW_WORDS, *, per_chunk: float = 0.1) -> TextReply:
    """The text streamed a word a chunk: `per_chunk` seconds each, long enough to act mid-run."""
    return TextReply(text, chunks=len(text.split()), delay_per_chunk=per_chunk)


async def wait_until_streaming(provider: FakeProvider, count: int = 1) -> None:
    await provider.wait_for(lambda: sum(s.chunks_sent > 0 for s in provider.streams) >= count)


async def collect(stream: Any) -> list[StreamPart]:
    return [part async for part in stream]


async def wait_status(client: LangGraphClient, thread_id: str, run_id: str, status: str) -> None:
    for _ in range(100):
        if (await client.runs.get(thread_id, run_id))["status"] == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {status}")
