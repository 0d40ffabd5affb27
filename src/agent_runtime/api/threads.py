"""Threads: a conversation's identity, metadata and latest state."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from agent_runtime.api.deps import JsonResponse, OwnerDep, ServicesDep, page_headers, project
from agent_runtime.errors import Conflict, NotFound, NotImplementedFeature
from agent_runtime.schemas.common import utcnow
from agent_runtime.schemas.threads import (
    Thread,
    ThreadCountRequest,
    ThreadCreate,
    ThreadPatch,
    ThreadSearchRequest,
)
from agent_runtime.services import Services
from agent_runtime.storage.base import Owner, Page, Sort, ThreadFilter

router = APIRouter(prefix="/threads", tags=["Threads"])


def thread_not_found(thread_id: str) -> NotFound:
    return NotFound(f"Thread {thread_id} not found")


async def get_thread_or_404(services: Services, owner: Owner, thread_id: str) -> Thread:
    thread = await services.threads.get(owner, thread_id)
    if thread is None:
        raise thread_not_found(thread_id)
    return thread


@router.post("", operation_id="createThread", response_model=Thread)
async def create_thread(body: ThreadCreate, services: ServicesDep, owner: OwnerDep) -> JsonResponse:
    if body.supersteps:
        # TODO(supersteps): applying state updates at creation needs the run executor's
        # checkpointer path; refuse rather than create a thread without them.
        raise NotImplementedFeature("Creating a thread with supersteps is not supported")
    if body.ttl is not None:
        raise NotImplementedFeature("Thread TTL is not supported")
    now = utcnow()
    metadata = dict(body.metadata)
    if owner is not None:
        metadata["owner"] = owner
    thread = Thread(
        thread_id=body.thread_id or str(uuid.uuid4()),
        metadata=metadata,
        status="idle",
        created_at=now,
        updated_at=now,
    )
    created = await services.threads.create(owner, thread)
    if created is not None:
        return JsonResponse(created)
    if body.if_exists == "do_nothing":
        existing = await services.threads.get(owner, thread.thread_id)
        if existing is not None:
            return JsonResponse(existing)
    raise Conflict(f"Thread {thread.thread_id} already exists")


@router.post("/search", operation_id="searchThreads", response_model=list[Thread])
async def search_threads(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[ThreadSearchRequest | None, Body()] = None,
) -> JsonResponse:
    query = body or ThreadSearchRequest()
    if query.extract:
        raise NotImplementedFeature("Thread search with 'extract' is not supported")
    where = ThreadFilter(
        ids=query.ids, metadata=query.metadata, values=query.values, status=query.status
    )
    sort = Sort(by=query.sort_by or "created_at", order=query.sort_order or "desc")
    rows, total = await services.threads.search(
        owner, where, sort, Page(limit=query.limit, offset=query.offset)
    )
    headers = page_headers(total, query.offset, len(rows))
    return JsonResponse(project(rows, query.select), headers=headers)


@router.post("/count", operation_id="countThreads", response_model=int)
async def count_threads(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[ThreadCountRequest | None, Body()] = None,
) -> JsonResponse:
    query = body or ThreadCountRequest()
    where = ThreadFilter(metadata=query.metadata, values=query.values, status=query.status)
    return JsonResponse(await services.threads.count(owner, where))


@router.get("/{thread_id}", operation_id="getThread", response_model=Thread)
async def get_thread(thread_id: str, services: ServicesDep, owner: OwnerDep) -> JsonResponse:
    return JsonResponse(await get_thread_or_404(services, owner, thread_id))


@router.patch("/{thread_id}", operation_id="patchThread", response_model=Thread)
async def patch_thread(
    thread_id: str, body: ThreadPatch, services: ServicesDep, owner: OwnerDep
) -> JsonResponse:
    if body.ttl is not None:
        raise NotImplementedFeature("Thread TTL is not supported")
    patch = dict(body.metadata)
    if owner is not None:
        patch["owner"] = owner
    updated = await services.threads.update_metadata(owner, thread_id, patch)
    if updated is None:
        raise thread_not_found(thread_id)
    return JsonResponse(updated)


@router.delete("/{thread_id}", operation_id="deleteThread", response_model=dict[str, Any])
async def delete_thread(thread_id: str, request: Request, owner: OwnerDep) -> JsonResponse:
    # Deleting a thread stops its runs and drops its checkpoints: the run manager owns that.
    if not await request.app.state.runs.delete_thread(owner, thread_id):
        raise thread_not_found(thread_id)
    return JsonResponse({})
