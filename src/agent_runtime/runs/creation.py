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
from agent_runtime.storage.base import Owner

CancelAction = Literal["interrupt", "rollback"]
Cancel = Callable[[Run, CancelAction], None]


async def store_run(
    services: Services,
    owner: Owner,
    thread_id: str,
    stateless: bool,
    request: RunCreateStateful,
    assistant: Assistant,
    cancel: Cancel,
) -> Run:
    """Store a pending run on `thread_id` (a new thread when `stateless`); the thread turns
    busy and remembers the assistant. `cancel` stops the runs a multitask strategy replaces."""
    now = utcnow()
    run = Run(
        run_id=str(uuid.uuid4()),
        thread_id=thread_id,
        assistant_id=assistant.assistant_id,
        status="pending",
        metadata=stamp(request.metadata, owner),
        kwargs={
            **request.model_dump(mode="json"),
            "graph_id": assistant.graph_id,
            "temporary": stateless,
        },
        multitask_strategy=request.multitask_strategy,
        created_at=now,
        updated_at=now,
    )
    ran_here = {"graph_id": assistant.graph_id, "assistant_id": assistant.assistant_id}
    if stateless:  # a new thread, stored with the run: nothing runs on it yet
        new_thread = Thread(
            thread_id=thread_id,
            metadata=stamp(ran_here, owner),
            status="busy",
            created_at=now,
            updated_at=now,
        )
        await services.runs.create(run, new_thread=new_thread)
    elif not await services.runs.create_if_idle(owner, run, ran_here):
        # The thread is busy, missing or not the owner's.
        thread = await _thread_for_run(services, owner, thread_id, request)
        # Only a busy thread has active runs: creating and ending runs keep it so.
        if thread.status == "busy":
            await _apply_multitask(services, thread, request, cancel)
        changed = thread.metadata.get("assistant_id") != assistant.assistant_id
        await services.runs.create(run, ran_here if changed else None)
    return run


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
