"""Thread state and history, read from (and written to) the checkpointer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from agent_runtime.api.deps import GraphJsonResponse, JsonResponse, OwnerDep, ServicesDep
from agent_runtime.api.threads import thread_not_found
from agent_runtime.errors import Conflict
from agent_runtime.graphs.spec import AnyGraph
from agent_runtime.runs.checkpoints import plain_models, rendered_values
from agent_runtime.runs.serde import to_jsonable
from agent_runtime.runs.state import state_response, thread_config
from agent_runtime.schemas.runs import ThreadHistoryRequest, ThreadState, ThreadStateUpdateRequest
from agent_runtime.services import Services
from agent_runtime.storage.base import ThreadStateUpdate

router = APIRouter(prefix="/threads", tags=["Thread state"])


def _empty_state(thread_id: str) -> dict[str, Any]:
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "checkpoint": {"thread_id": thread_id, "checkpoint_ns": "", "checkpoint_id": None},
        "metadata": {},
        "created_at": None,
        "parent_checkpoint": None,
        "interrupts": [],
    }


async def _graph_or_404(services: Services, owner: str | None, thread_id: str) -> AnyGraph | None:
    """The graph whose state the thread holds (`None` before its first run), or 404."""
    metadata = await services.threads.metadata(owner, thread_id)
    if metadata is None:
        raise thread_not_found(thread_id)
    graph_id = metadata.get("graph_id")
    if not isinstance(graph_id, str) or not services.graphs.has(graph_id):
        return None
    return services.state_graph(graph_id)


async def _state(
    services: Services, owner: str | None, thread_id: str, checkpoint: dict[str, Any] | None
) -> GraphJsonResponse:
    graph = await _graph_or_404(services, owner, thread_id)
    if graph is None:
        return GraphJsonResponse(_empty_state(thread_id))
    with rendered_values():
        snapshot = await graph.aget_state(thread_config(thread_id, checkpoint))
    if not snapshot.config.get("configurable", {}).get("checkpoint_id") and checkpoint is None:
        return GraphJsonResponse(_empty_state(thread_id))
    return GraphJsonResponse(state_response(snapshot, snapshot.values))


@router.get("/{thread_id}/state", operation_id="getThreadState", response_model=ThreadState)
async def get_thread_state(
    thread_id: str, services: ServicesDep, owner: OwnerDep
) -> GraphJsonResponse:
    return await _state(services, owner, thread_id, None)


@router.get(
    "/{thread_id}/state/{checkpoint_id}",
    operation_id="getThreadStateAtCheckpoint",
    response_model=ThreadState,
)
async def get_thread_state_at(
    thread_id: str, checkpoint_id: str, services: ServicesDep, owner: OwnerDep
) -> GraphJsonResponse:
    return await _state(services, owner, thread_id, {"checkpoint_id": checkpoint_id})


@router.post(
    "/{thread_id}/state/checkpoint",
    operation_id="postThreadStateAtCheckpoint",
    response_model=ThreadState,
)
async def post_thread_state_at(
    thread_id: str,
    services: ServicesDep,
    owner: OwnerDep,
    checkpoint: Annotated[dict[str, Any], Body(embed=True)],
) -> GraphJsonResponse:
    return await _state(services, owner, thread_id, checkpoint)


@router.post("/{thread_id}/state", operation_id="updateThreadState")
async def update_thread_state(
    thread_id: str, body: ThreadStateUpdateRequest, services: ServicesDep, owner: OwnerDep
) -> JsonResponse:
    graph = await _graph_or_404(services, owner, thread_id)
    if await services.runs.active(thread_id):
        raise Conflict(f"Thread {thread_id} already has an active run")
    if graph is None:
        raise Conflict(f"Thread {thread_id} has no graph yet: run it first")
    checkpoint = dict(body.checkpoint or {})
    if body.checkpoint_id:
        checkpoint["checkpoint_id"] = body.checkpoint_id
    config = await graph.aupdate_state(
        thread_config(thread_id, checkpoint or None), body.values, as_node=body.as_node
    )
    with plain_models():
        snapshot = await graph.aget_state(thread_config(thread_id))
    await services.threads.update_state(
        thread_id, ThreadStateUpdate(values=to_jsonable(snapshot.values))
    )
    configurable = config.get("configurable", {})
    return JsonResponse(
        {
            "checkpoint": {
                "thread_id": thread_id,
                "checkpoint_ns": configurable.get("checkpoint_ns", ""),
                "checkpoint_id": configurable.get("checkpoint_id"),
                "checkpoint_map": configurable.get("checkpoint_map"),
            }
        }
    )


async def _history(
    services: Services, owner: str | None, thread_id: str, query: ThreadHistoryRequest
) -> GraphJsonResponse:
    graph = await _graph_or_404(services, owner, thread_id)
    if graph is None:
        return GraphJsonResponse([])
    before = query.before
    before_config = (
        thread_config(thread_id, before if isinstance(before, dict) else {"checkpoint_id": before})
        if before
        else None
    )
    with rendered_values():
        states = [
            state_response(snapshot, snapshot.values)
            async for snapshot in graph.aget_state_history(
                thread_config(thread_id, query.checkpoint),
                filter=query.metadata,
                before=before_config,
                limit=query.limit,
            )
        ]
    return GraphJsonResponse(states)


@router.get(
    "/{thread_id}/history", operation_id="getThreadHistory", response_model=list[ThreadState]
)
async def get_thread_history(
    thread_id: str,
    services: ServicesDep,
    owner: OwnerDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    before: Annotated[str | None, Query()] = None,
) -> GraphJsonResponse:
    return await _history(
        services, owner, thread_id, ThreadHistoryRequest(limit=limit, before=before)
    )


@router.post(
    "/{thread_id}/history", operation_id="postThreadHistory", response_model=list[ThreadState]
)
async def post_thread_history(
    thread_id: str,
    services: ServicesDep,
    owner: OwnerDep,
    body: Annotated[ThreadHistoryRequest | None, Body()] = None,
) -> GraphJsonResponse:
    return await _history(services, owner, thread_id, body or ThreadHistoryRequest())
