"""LangSmith's traced wrappers, without their thread hops while tracing is off.

LangChain's agents wrap each middleware's `awrap_model_call` and `awrap_tool_call` in
LangSmith's `traceable`, whose async wrapper sets up and closes its span in a worker thread:
two thread hops (and a task) on every model call, tracing on or off. With tracing off that
set-up only reads context variables, so it runs inline; with tracing on, LangSmith's own
thread hop stays, since posting a span may block.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import langsmith
from langsmith import utils as langsmith_utils

DefaultToThread = Callable[..., Awaitable[Any]]


async def _inline_while_untraced(
    default: DefaultToThread,
    ctx: contextvars.Context,
    func: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    if ctx.run(langsmith_utils.tracing_is_enabled):
        return await default(ctx, func, *args, **kwargs)
    return ctx.run(func, *args, **kwargs)


def skip_untraced_thread_hops() -> None:
    """Run LangSmith's span set-up inline whenever tracing is off (process-wide)."""
    langsmith.set_runtime_overrides(aio_to_thread=_inline_while_untraced)
