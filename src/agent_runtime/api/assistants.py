"""Assistants: a graph plus the configuration it runs with."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from agent_runtime.api.deps import JsonResponse, OwnerDep, ServicesDep, page_headers, project
from agent_runtime.errors import Conflict, NotFound, Unprocessable
from agent_runtime.runs.manager import RunManager
from agent_runtime.schemas.assistants import (
    Assistant,
    AssistantCountRequest,
    AssistantCreate,
    AssistantPatch,
    AssistantSearchRequest,
)
from agent_runtime.schemas.common import utcnow
from agent_runtime.services import Services
from agent_runtime.storage.base import (
    AssistantFilter,
    AssistantUpdate,
    Owner,
    Page,
    Sort,
    ThreadFilter,
)

router = APIRouter(prefix="/assistants", tags=["Assistants"])


def _not_found(assistant_id: str) -> NotFound:
    return NotFound(f"Assistant {assistant_id} not found")


def _check_graph(services: Services, graph_id: str) -> None:
    known = services.graphs.ids()
    if graph_id not in known:
        raise Unprocessable(
            f"graph_id: Graph '{graph_id}' not found. Known graphs: {', '.join(known)}"
        )


def _stamp_owner(metadata: dict[str, Any], owner: Owner) -> dict[str, Any]:
    return {**metadata, "owner": owner} if owner is not None else dict(metadata)


async def get_assistant_or_404(services: Services, owner: Owner, assistant_id: str) -> Assistant:
    assistant = await services.assistants.get(owner, services.resolve_assistant_id(assistant_id))
    if assistant is None:
        raise _not_found(assistant_id)
    return assistant


@router.post("", operation_id="createAssistant", response_model=Assistant)
async def create_assistant(
    body: AssistantCreate, services: ServicesDep, owner: OwnerDep
) -> JsonResponse:
    _check_graph(services, body.graph_id)
    now = utcnow()
    assistant = Assistant(
        assistant_id=body.assistant_id or str(uuid.uuid4()),
        graph_id=body.graph_id,
        config=body.config,
        context=body.context,
        metadata=_stamp_owner(body.metadata, owner),
        name=body.name or "Untitled",
        description=body.description,
        version=1,
        created_at=now,
        updated_at=now,
    )
    created = await services.assistants.create(owner, assistant)
    if created is not None:
        return JsonResponse(created)
    if body.if_exists == "do_nothing":
        existing = await services.assistants.get(owner, assistant.assistant_id)
        if existing is not None:
            return JsonResponse(existing)
    raise Conflict(f"Assistant {assistant.assistant_id} already exists")


@router.post("/search", operation_id="searchAssistants", response_model=list[Assistant])
async def search_assistants(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[AssistantSearchRequest | None, Body()] = None,
) -> JsonResponse:
    query = body or AssistantSearchRequest()
    where = AssistantFilter(metadata=query.metadata, graph_id=query.graph_id, name=query.name)
    sort = Sort(by=query.sort_by or "created_at", order=query.sort_order or "desc")
    rows, total = await services.assistants.search(
        owner, where, sort, Page(limit=query.limit, offset=query.offset)
    )
    headers = page_headers(total, query.offset, len(rows))
    return JsonResponse(project(rows, query.select), headers=headers)


@router.post("/count", operation_id="countAssistants", response_model=int)
async def count_assistants(
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[AssistantCountRequest | None, Body()] = None,
) -> JsonResponse:
    query = body or AssistantCountRequest()
    where = AssistantFilter(metadata=query.metadata, graph_id=query.graph_id, name=query.name)
    return JsonResponse(await services.assistants.count(owner, where))


@router.get("/{assistant_id}", operation_id="getAssistant", response_model=Assistant)
async def get_assistant(assistant_id: str, services: ServicesDep, owner: OwnerDep) -> JsonResponse:
    return JsonResponse(await get_assistant_or_404(services, owner, assistant_id))


@router.get(
    "/{assistant_id}/schemas", operation_id="getAssistantSchemas", response_model=dict[str, Any]
)
async def get_assistant_schemas(
    assistant_id: str, services: ServicesDep, owner: OwnerDep
) -> JsonResponse:
    """JSON Schemas of the graph; `config_schema` carries the UI metadata Open Agent Platform
    reads (`x_oap_ui_config`)."""
    assistant = await get_assistant_or_404(services, owner, assistant_id)
    return JsonResponse(services.graphs.schemas(assistant.graph_id))


@router.get(
    "/{assistant_id}/graph", operation_id="getAssistantGraph", response_model=dict[str, Any]
)
async def get_assistant_graph(
    assistant_id: str,
    services: ServicesDep,
    owner: OwnerDep,
    xray: Annotated[
        bool | int, Query(description="Include subgraphs (or this many levels).")
    ] = False,
) -> JsonResponse:
    assistant = await get_assistant_or_404(services, owner, assistant_id)
    drawing = services.graphs.structure(assistant.graph_id).get_graph(xray=xray)
    return JsonResponse(drawing.to_json())


@router.patch("/{assistant_id}", operation_id="patchAssistant", response_model=Assistant)
async def patch_assistant(
    assistant_id: str, body: AssistantPatch, services: ServicesDep, owner: OwnerDep
) -> JsonResponse:
    if body.graph_id is not None:
        _check_graph(services, body.graph_id)
    metadata = body.metadata
    if metadata is not None and owner is not None:
        metadata = _stamp_owner(metadata, owner)
    update = AssistantUpdate(
        graph_id=body.graph_id,
        config=body.config,
        context=body.context,
        metadata=metadata,
        name=body.name,
        description=body.description,
    )
    updated = await services.assistants.update(
        owner, services.resolve_assistant_id(assistant_id), update
    )
    if updated is None:
        raise _not_found(assistant_id)
    return JsonResponse(updated)


@router.delete("/{assistant_id}", operation_id="deleteAssistant", response_model=dict[str, Any])
async def delete_assistant(
    assistant_id: str,
    request: Request,
    services: ServicesDep,
    owner: OwnerDep,
    delete_threads: Annotated[
        bool, Query(description="Also delete the threads created with this assistant.")
    ] = False,
) -> JsonResponse:
    resolved = services.resolve_assistant_id(assistant_id)
    if not await services.assistants.delete(owner, resolved):
        raise _not_found(assistant_id)
    if delete_threads:
        await _delete_threads_of(request.app.state.runs, owner, resolved)
    return JsonResponse({})


async def _delete_threads_of(runs: RunManager, owner: Owner, assistant_id: str) -> None:
    # Through the run manager, as `DELETE /threads/{id}`: a thread's runs stop first.
    where = ThreadFilter(metadata={"assistant_id": assistant_id})
    while True:
        rows, _ = await runs.services.threads.search(
            owner, where, Sort(by="created_at"), Page(limit=1000)
        )
        if not rows:
            return
        for thread in rows:
            await runs.delete_thread(owner, thread.thread_id)
