"""LangSmith's traced wrappers (LangChain's agent middleware hooks) set up their spans
inline while tracing is off, and in LangSmith's worker thread while it is on."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import langsmith
import pytest
from langsmith.run_helpers import tracing_context

from agent_runtime.tracing import _inline_while_untraced, skip_untraced_thread_hops


class CountingExecutor(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


@langsmith.traceable
async def traced(value: int) -> int:
    await asyncio.sleep(0)
    return value + 1


def thread_hops_of_a_traced_call() -> int:
    async def call() -> int:
        executor = CountingExecutor()
        asyncio.get_running_loop().set_default_executor(executor)
        assert await traced(1) == 2
        return executor.submitted

    return asyncio.run(call())


@pytest.fixture
def overrides() -> Iterator[None]:
    # Process-wide: an app started in this process earlier has installed the runtime's.
    langsmith.set_runtime_overrides()
    yield
    langsmith.set_runtime_overrides()


def test_an_untraced_call_hops_to_no_thread(overrides: None) -> None:
    assert thread_hops_of_a_traced_call() == 2  # LangSmith's own way: set-up and end
    skip_untraced_thread_hops()
    assert thread_hops_of_a_traced_call() == 0


async def test_a_traced_call_keeps_langsmiths_thread() -> None:
    marker: contextvars.ContextVar[str] = contextvars.ContextVar("marker", default="")
    defaulted: list[str] = []

    async def default(ctx: contextvars.Context, func: Callable[..., Any], *args: Any) -> Any:
        defaulted.append(func.__name__)
        return ctx.run(func, *args)

    def step(label: str) -> tuple[str, int]:
        return f"{marker.get()}{label}", threading.get_ident()

    marker.set("seen:")
    ctx = contextvars.copy_context()
    assert await _inline_while_untraced(default, ctx, step, "off") == (
        "seen:off",
        threading.get_ident(),
    )
    assert defaulted == []
    with tracing_context(enabled=True):
        ctx = contextvars.copy_context()
    await _inline_while_untraced(default, ctx, step, "on")
    assert defaulted == ["step"]
