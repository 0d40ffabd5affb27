"""Storing a new run: its row and its thread turning busy in one step where it can be, with
the checks a missing or busy thread needs first."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Literal

from agent_runtime.errors import Conflict, NotFound
from agent_runtime.schemas.assistants import Assistant
from agent_runtime.schemas.common import utcnow
from agent_runtime.schemas.runs import Run, RunCreateStateful
from agent_runtime.schemas.threads import Thread
from agent_runtime.services import Services
from agent_runtime.storage.base import Owner, with_graph

CancelAction = Literal["interrupt", "rollback"]
Cancel = Callable[[Run, CancelAction], None]


async def store_run(
    services: Services,
    owner: Owner,
    thread_id: str,
    stateless: bool,
    request: RunCreateStateful,
    assistant_id: str,
    cancel: Cancel,
) -> tuple[Run, Assistant]:
    """Store a pending run of `assistant_id` on `thread_id` (a new thread when `stateless`);
    the thread turns busy and remembers the assistant. `cancel` stops the runs a multitask
    strategy replaces. Answers with the run as stored and its assistant."""
    now = utcnow()
    run = Run(
        run_id=str(uuid.uuid4()),
        thread_id=thread_id,
        assistant_id=assistant_id,
        status="pending",
        metadata=stamp(request.metadata, owner),
        kwargs={**request.model_dump(mode="json"), "temporary": stateless},
        multitask_strategy=request.multitask_strategy,
        created_at=now,
        updated_at=now,
    )
    ran_here = {"assistant_id": assistant_id}  # and the graph, which the storage reads
    if stateless:  # a new thread, stored with the run: nothing runs on it yet
        new_thread = Thread(
            thread_id=thread_id,
            metadata=stamp(ran_here, owner),
            status="busy",
            created_at=now,
            updated_at=now,
        )
        found = await services.runs.create_with_thread(owner, run, new_thread)
        assistant = _found(found, request)
        return with_graph(run, assistant), assistant
    found, stored = await services.runs.create_if_idle(owner, run, ran_here)
    assistant = _found(found, request)
    run = with_graph(run, assistant)
    if not stored:
        # The thread is busy, missing or not the owner's.
        thread = await _thread_for_run(services, owner, thread_id, request)
        # Only a busy thread has active runs: creating and ending runs keep it so.
        if thread.status == "busy":
            await _apply_multitask(services, thread, request, cancel)
        changed = thread.metadata.get("assistant_id") != assistant_id
        ran_here["graph_id"] = assistant.graph_id
        await services.runs.create(run, ran_here if changed else None)
    return run, assistant


def _found(assistant: Assistant | None, request: RunCreateStateful) -> Assistant:
    if assistant is None:
        raise NotFound(f"Assistant {request.assistant_id} not found")
    return assistant


def stamp(metadata: dict[str, Any], owner: Owner) -> dict[str, Any]:
    return {**metadata, "owner": owner} if owner is not None else dict(metadata)


async def _thread_for_run(
    services: Services, owner: Owner, thread_id: str, request: RunCreateStateful
) -> Thread:
    thread = await services.threads.get(owner, thread_id)
    if thread is not None:
        return thread
    if request.if_not_exists != "create":
        raise NotFound(f"Thread {thread_id} not found")
    now = utcnow()
    created = await services.threads.create(
        owner,
        Thread(
            thread_id=thread_id,
            metadata=stamp({}, owner),
            status="idle",
            created_at=now,
            updated_at=now,
        ),
    )
    if created is None:  # the id exists but belongs to someone else
        raise NotFound(f"Thread {thread_id} not found")
    return created


async def _apply_multitask(
    services: Services, thread: Thread, request: RunCreateStateful, cancel: Cancel
) -> None:
    active = await services.runs.active(thread.thread_id)
    if not active:
        return
    strategy = request.multitask_strategy
    if strategy == "reject":
        raise Conflict(f"Thread {thread.thread_id} already has an active run")
    if strategy in ("interrupt", "rollback"):
        for run in active:
            cancel(run, "rollback" if strategy == "rollback" else "interrupt")
    # enqueue: the queue already orders runs per thread.
