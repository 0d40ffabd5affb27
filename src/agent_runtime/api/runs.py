"""Runs: start a graph on a thread (or on a throwaway one), stream it, wait, join, cancel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BeforeValidator

from agent_runtime.api.deps import JsonResponse, OwnerDep, ServicesDep
from agent_runtime.api.sse import EventStreamResponse
from agent_runtime.api.threads import get_thread_or_404
from agent_runtime.auth import with_caller
from agent_runtime.errors import Conflict, NotFound, NotImplementedFeature
from agent_runtime.runs.events import HEARTBEAT, RunEventLog, StreamEvent
from agent_runtime.runs.manager import RunManager
from agent_runtime.schemas.common import Limit, Offset
from agent_runtime.schemas.runs import (
    Run,
    RunCreateStateful,
    RunCreateStateless,
    RunStatus,
    StreamMode,
)
from agent_runtime.storage.base import ACTIVE_RUN_STATUSES, Owner, Page

HEARTBEAT_SECONDS = 15.0
_ALWAYS_SENT = {"metadata", "error", "end"}

router = APIRouter(tags=["Runs"])


async def get_manager(request: Request) -> RunManager:
    # `async`: FastAPI runs a plain function dependency in a worker thread.
    manager: RunManager = request.app.state.runs
    return manager


ManagerDep = Annotated[RunManager, Depends(get_manager)]
LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]


def forwarded_headers(request: Request) -> dict[str, str]:
    """`x-` request headers reach the graph's configurable (never `x-api-key`)."""
    return {
        name: value
        for name, value in request.headers.items()
        if name.startswith("x-") and name != "x-api-key"
    }


def _locations(run: Run, stateless: bool) -> dict[str, str]:
    base = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return {
        "Content-Location": f"/runs/{run.run_id}" if stateless else base,
        "Location": f"{base}/stream",
    }


def _event_stream(
    manager: RunManager,
    run: Run,
    log: RunEventLog | None,
    after: int,
    *,
    cancel_on_disconnect: bool,
    modes: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> EventStreamResponse:
    sent = set(modes) | _ALWAYS_SENT if modes else None

    def encode(events: list[StreamEvent]) -> bytes:
        return b"".join(e.encode() for e in events if sent is None or _mode_of(e.event) in sent)

    # What is already published goes out with the headers (a new run's `metadata` at least):
    # under load, every task switch before the first byte waits behind other runs' work.
    ready = log.since(after) if log is not None else []
    first = encode(ready) if log is not None else b"event: end\ndata: null\n\n"
    after = ready[-1].id if ready else after

    async def body() -> AsyncIterator[bytes]:
        if log is None:  # the run is over and its events are no longer kept
            return
        async for batch in log.follow(after, HEARTBEAT_SECONDS):
            if batch is None:
                yield HEARTBEAT
            elif chunk := encode(batch):
                yield chunk

    on_disconnect = (lambda: manager.request_cancel(run)) if cancel_on_disconnect else None
    return EventStreamResponse(body(), first, headers=headers, on_disconnect=on_disconnect)


def _drop_blank(modes: list[str] | None) -> list[str] | None:
    # The Python SDK sends `stream_mode=` (empty) when the caller gave no modes.
    kept = [mode for mode in modes or () if mode]
    return kept or None


def _mode_of(event: str) -> str:
    base = event.split("|", 1)[0]
    return "messages" if base.startswith("messages") else base


def _after(last_event_id: str | None) -> int:
    try:
        return int(last_event_id) if last_event_id else 0
    except ValueError:
        return 0


async def _get_run(manager: RunManager, owner: Owner, thread_id: str, run_id: str) -> Run:
    run = await manager.services.runs.get(owner, run_id, thread_id)
    if run is None:
        raise NotFound(f"Run {run_id} not found")
    return run


async def _start(
    manager: RunManager,
    owner: Owner,
    thread_id: str | None,
    body: RunCreateStateless,
    request: Request,
) -> Run:
    if body.webhook:
        raise NotImplementedFeature("Run webhooks are not supported")
    if body.feedback_keys:
        raise NotImplementedFeature("feedback_keys are not supported")
    stateful = RunCreateStateful.model_validate(body.model_dump())
    stateful.config = with_caller(stateful.config)
    return await manager.create(owner, thread_id, stateful, forwarded_headers(request))


@router.post("/threads/{thread_id}/runs", operation_id="createRun", response_model=Run)
async def create_run(
    thread_id: str, body: RunCreateStateful, request: Request, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _start(manager, owner, thread_id, body, request)
    return JsonResponse(run, headers=_locations(run, stateless=False))


@router.post("/threads/{thread_id}/runs/stream", operation_id="streamRun")
async def stream_run(
    thread_id: str, body: RunCreateStateful, request: Request, manager: ManagerDep, owner: OwnerDep
) -> EventStreamResponse:
    run = await _start(manager, owner, thread_id, body, request)
    return _event_stream(
        manager,
        run,
        manager.event_log(run.run_id),
        0,
        cancel_on_disconnect=body.on_disconnect == "cancel",
        headers=_locations(run, stateless=False),
    )


@router.post("/threads/{thread_id}/runs/wait", operation_id="waitRun")
async def wait_run(
    thread_id: str, body: RunCreateStateful, request: Request, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _start(manager, owner, thread_id, body, request)
    result = await manager.outcome(run)
    return JsonResponse(result, headers=_locations(run, stateless=False))


@router.get("/threads/{thread_id}/runs", operation_id="listRuns", response_model=list[Run])
async def list_runs(
    thread_id: str,
    services: ServicesDep,
    owner: OwnerDep,
    limit: Limit = 10,
    offset: Offset = 0,
    status: Annotated[RunStatus | None, Query(description="Only runs in this status.")] = None,
) -> JsonResponse:
    await get_thread_or_404(services, owner, thread_id)
    runs = await services.runs.list_for_thread(
        owner, thread_id, status, Page(limit=limit, offset=offset)
    )
    return JsonResponse(runs)


@router.get("/threads/{thread_id}/runs/{run_id}", operation_id="getRun", response_model=Run)
async def get_run(
    thread_id: str, run_id: str, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    return JsonResponse(await _get_run(manager, owner, thread_id, run_id))


@router.delete(
    "/threads/{thread_id}/runs/{run_id}",
    operation_id="deleteRun",
    response_model=dict[str, Any],
)
async def delete_run(
    thread_id: str, run_id: str, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _get_run(manager, owner, thread_id, run_id)
    if run.status in ACTIVE_RUN_STATUSES:
        raise Conflict(f"Cannot delete run with status '{run.status}'")
    await manager.services.runs.delete(run_id)
    return JsonResponse({})


@router.post(
    "/threads/{thread_id}/runs/{run_id}/cancel",
    operation_id="cancelRun",
    response_model=dict[str, Any],
)
async def cancel_run(
    thread_id: str,
    run_id: str,
    manager: ManagerDep,
    owner: OwnerDep,
    wait: Annotated[bool, Query(description="Answer once the run has stopped.")] = False,
    action: Annotated[
        Literal["interrupt", "rollback"],
        Query(description="Keep the run's checkpoints (interrupt) or delete them (rollback)."),
    ] = "interrupt",
) -> JsonResponse:
    await manager.cancel(owner, thread_id, run_id, action, wait)
    return JsonResponse({}, status_code=200 if wait else 202)


@router.get("/threads/{thread_id}/runs/{run_id}/join", operation_id="joinRun")
async def join_run(
    thread_id: str, run_id: str, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _get_run(manager, owner, thread_id, run_id)
    return JsonResponse(await manager.outcome(run))


@router.get("/threads/{thread_id}/runs/{run_id}/stream", operation_id="streamRunOutput")
async def stream_run_output(
    thread_id: str,
    run_id: str,
    manager: ManagerDep,
    owner: OwnerDep,
    last_event_id: LastEventId = None,
    stream_mode: Annotated[list[StreamMode] | None, BeforeValidator(_drop_blank), Query()] = None,
    cancel_on_disconnect: Annotated[bool, Query()] = False,
) -> EventStreamResponse:
    run = await _get_run(manager, owner, thread_id, run_id)
    return _event_stream(
        manager,
        run,
        manager.event_log(run_id),
        _after(last_event_id),
        cancel_on_disconnect=cancel_on_disconnect,
        modes=[_mode_of(m) for m in stream_mode or ()],
    )


@router.post("/runs", operation_id="createStatelessRun", response_model=Run)
async def create_stateless_run(
    body: RunCreateStateless, request: Request, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _start(manager, owner, None, body, request)
    return JsonResponse(run, headers=_locations(run, stateless=True))


@router.post("/runs/stream", operation_id="streamStatelessRun")
async def stream_stateless_run(
    body: RunCreateStateless, request: Request, manager: ManagerDep, owner: OwnerDep
) -> EventStreamResponse:
    run = await _start(manager, owner, None, body, request)
    return _event_stream(
        manager,
        run,
        manager.event_log(run.run_id),
        0,
        cancel_on_disconnect=body.on_disconnect == "cancel",
        headers=_locations(run, stateless=True),
    )


@router.post("/runs/wait", operation_id="waitStatelessRun")
async def wait_stateless_run(
    body: RunCreateStateless, request: Request, manager: ManagerDep, owner: OwnerDep
) -> JsonResponse:
    run = await _start(manager, owner, None, body, request)
    result = await manager.outcome(run)
    return JsonResponse(result, headers=_locations(run, stateless=True))
