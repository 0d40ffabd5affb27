"""Thread state read from the checkpointer, as the API shows it and as threads store it."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import StateSnapshot

from agent_runtime.runs.checkpoints import plain_models
from agent_runtime.runs.executor import RunOutcome
from agent_runtime.runs.serde import to_jsonable
from agent_runtime.schemas.runs import Run, RunStatus
from agent_runtime.schemas.threads import ThreadStatus
from agent_runtime.services import Services
from agent_runtime.storage.base import StateSnapshotRecord, ThreadStateUpdate


def thread_config(thread_id: str, checkpoint: dict[str, Any] | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint:
        configurable.update({k: v for k, v in checkpoint.items() if v is not None})
        configurable["thread_id"] = thread_id
    return RunnableConfig(configurable=configurable)


def snapshot_interrupts(snapshot: StateSnapshot) -> list[Any]:
    return [to_jsonable(i) for task in snapshot.tasks for i in task.interrupts]


def state_response(snapshot: StateSnapshot, values: Any) -> dict[str, Any]:
    """A LangGraph `StateSnapshot` in the API's ThreadState form with `values` for its values:
    converted to JSON types for storage, or as read for a response that `dumps` renders."""
    return {
        "values": values,
        "next": list(snapshot.next),
        "tasks": [
            {
                "id": task.id,
                "name": task.name,
                "path": to_jsonable(task.path),
                "error": repr(task.error) if task.error else None,
                "interrupts": to_jsonable(task.interrupts),
                "checkpoint": _checkpoint(task.state) if isinstance(task.state, dict) else None,
                "state": None,
                "result": to_jsonable(task.result),
            }
            for task in snapshot.tasks
        ],
        "checkpoint": _checkpoint(snapshot.config),
        "metadata": to_jsonable(snapshot.metadata or {}),
        "created_at": snapshot.created_at,
        "parent_checkpoint": _checkpoint(snapshot.parent_config),
        "interrupts": snapshot_interrupts(snapshot),
    }


def _checkpoint(config: RunnableConfig | None) -> dict[str, Any] | None:
    if not config:
        return None
    configurable = config.get("configurable") or {}
    if "checkpoint_id" not in configurable:
        return None
    return {
        "thread_id": configurable.get("thread_id"),
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable.get("checkpoint_id"),
        "checkpoint_map": configurable.get("checkpoint_map"),
    }


def snapshot_record(snapshot: StateSnapshot, values: Any) -> StateSnapshotRecord | None:
    """The state as a history row for the sibling runtime (Postgres `thread_states`), with
    its values already converted."""
    state = state_response(snapshot, values)
    checkpoint = state["checkpoint"]
    if checkpoint is None:
        return None
    values = state["values"]
    return StateSnapshotRecord(
        values=values if isinstance(values, dict) else {"values": values},
        next=state["next"],
        checkpoint_id=str(checkpoint["checkpoint_id"]),
        metadata=state["metadata"],
        tasks=state["tasks"],
        interrupts=state["interrupts"],
        parent_checkpoint=state["parent_checkpoint"],
    )


async def read_final_state(
    services: Services,
    run: Run,
    status: RunStatus,
    *,
    set_run_status: bool = True,
    settle: bool = True,
) -> RunOutcome:
    """After a run: copy the checkpointed state onto the thread and settle both statuses
    (the thread stays busy while another run on it waits). Without `settle` the state is
    only read: the thread is about to be deleted."""
    graph = services.state_graph(str(run.kwargs["graph_id"]))
    with plain_models():
        snapshot = await graph.aget_state(thread_config(run.thread_id))
    values = to_jsonable(snapshot.values)
    interrupts = snapshot_interrupts(snapshot)
    outcome = RunOutcome(status=status, values=values, interrupts=interrupts)
    if not settle:
        return outcome
    pending = {task.id: to_jsonable(task.interrupts) for task in snapshot.tasks if task.interrupts}
    thread_status: ThreadStatus
    if status == "error":
        thread_status = "error"
    elif interrupts or (status == "success" and snapshot.next):
        thread_status = "interrupted"
    else:
        thread_status = "idle"
    await services.runs.finish(
        run.run_id,
        status if set_run_status else None,
        run.thread_id,
        ThreadStateUpdate(
            status=thread_status,
            values=values,
            interrupts=pending,
            snapshot=snapshot_record(snapshot, values) if services.runs.keeps_history else None,
        ),
    )
    outcome.on_thread = True
    return outcome
