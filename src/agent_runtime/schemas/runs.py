"""Run resource, the bodies that create runs, and thread state."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from agent_runtime.schemas.common import Json, RequestModel, ResourceId, Timestamp

RunStatus = Literal["pending", "running", "success", "error", "timeout", "interrupted"]
MultitaskStrategy = Literal["reject", "interrupt", "rollback", "enqueue"]
StreamMode = Literal[
    "values",
    "updates",
    "messages",
    "messages-tuple",
    "events",
    "debug",
    "custom",
    "tasks",
    "checkpoints",
]
InterruptNodes = Literal["*"] | list[str]


# The pydantic mypy plugin gives __init__ a **kwargs parameter that the field name shadows.
class Run(BaseModel):  # type: ignore[no-redef]
    run_id: str = Field(description="The unique identifier of the run.")
    thread_id: str = Field(description="The thread this run belongs to.")
    assistant_id: str = Field(description="The assistant used for this run.")
    status: RunStatus = Field(description="The current status of the run.")
    metadata: Json = Field(description="Custom metadata for the run.")
    kwargs: Json = Field(default_factory=dict, description="What the run was created with.")
    multitask_strategy: MultitaskStrategy = Field(
        default="enqueue", description="Strategy for concurrent runs on the thread."
    )
    created_at: Timestamp = Field(description="The time the run was created.")
    updated_at: Timestamp = Field(description="The last time the run was updated.")


class RunCommand(RequestModel):
    """Controls a run resuming from an interrupt or steering the graph."""

    resume: Any | None = Field(default=None, description="Value for the pending interrupt.")
    update: Json | list[Any] | None = Field(default=None, description="State update to apply.")
    goto: str | Json | list[str | Json] | None = Field(
        default=None, description="Node(s) to go to next."
    )


class RunCreateStateless(RequestModel):
    """Payload for creating a run."""

    assistant_id: ResourceId = Field(description="The assistant to use: an id or a graph id.")
    input: Json | list[Any] | str | int | float | bool | None = Field(
        default=None, description="The input to the graph."
    )
    command: RunCommand | None = Field(default=None, description="Resume, update or goto.")
    metadata: Json = Field(default_factory=dict, description="Metadata to attach to the run.")
    config: Json = Field(default_factory=dict, description="Config for the graph.")
    context: Json = Field(default_factory=dict, description="Static context for the graph.")
    webhook: str | None = Field(default=None, description="Webhook called on completion.")
    interrupt_before: InterruptNodes | None = Field(
        default=None, description="Nodes to interrupt before."
    )
    interrupt_after: InterruptNodes | None = Field(
        default=None, description="Nodes to interrupt after."
    )
    stream_mode: StreamMode | list[StreamMode] = Field(
        default=["values"], description="What to stream back."
    )
    stream_subgraphs: bool = Field(default=False, description="Stream subgraph events too.")
    stream_resumable: bool = Field(default=False, description="Keep events for re-joining.")
    on_disconnect: Literal["cancel", "continue"] = Field(
        default="continue", description="What to do when a streaming client goes away."
    )
    feedback_keys: list[str] | None = Field(default=None, description="Not supported.")
    multitask_strategy: MultitaskStrategy = Field(
        default="enqueue", description="What to do when the thread is busy."
    )
    if_not_exists: Literal["reject", "create"] = Field(
        default="reject", description="Create the thread when it does not exist."
    )
    after_seconds: float | None = Field(default=None, ge=0, description="Delay before start.")
    on_completion: Literal["delete", "keep"] = Field(
        default="delete", description="Stateless runs: keep or delete the thread afterwards."
    )
    durability: Literal["sync", "async", "exit"] | None = Field(
        default=None, description="When checkpoints are persisted."
    )
    checkpoint_during: bool | None = Field(default=None, description="Legacy durability flag.")

    @field_validator("stream_mode")
    @classmethod
    def _as_list(cls, value: StreamMode | list[StreamMode]) -> list[StreamMode]:
        modes = [value] if isinstance(value, str) else value
        return list(dict.fromkeys(modes))

    @model_validator(mode="after")
    def _input_or_command(self) -> RunCreateStateless:
        # A command resumes or steers from the checkpoint; an input starts a new step.
        if self.command is not None and self.input is not None:
            raise ValueError("input and command cannot both be given")
        return self

    @property
    def modes(self) -> list[StreamMode]:
        return self.stream_mode if isinstance(self.stream_mode, list) else [self.stream_mode]


class RunCreateStateful(RunCreateStateless):
    """Payload for creating a run on a thread."""

    checkpoint: Json | None = Field(default=None, description="Checkpoint to start from.")
    checkpoint_id: str | None = Field(default=None, description="Checkpoint id to start from.")


class ThreadState(BaseModel):
    values: Json | list[Any] = Field(description="The state values.")
    next: list[str] = Field(description="The nodes that run next.")
    tasks: list[Json] = Field(description="Tasks of the next step.")
    checkpoint: Json | None = Field(description="This state's checkpoint.")
    metadata: Json = Field(description="Checkpoint metadata.")
    created_at: str | None = Field(description="When the checkpoint was written.")
    parent_checkpoint: Json | None = Field(description="The previous checkpoint.")
    interrupts: list[Json] = Field(description="Pending interrupts.")


class ThreadStateUpdateRequest(RequestModel):
    values: Json | list[Any] | None = Field(default=None, description="Values to write.")
    as_node: str | None = Field(default=None, description="Write as if this node ran.")
    checkpoint: Json | None = Field(default=None, description="Checkpoint to update from.")
    checkpoint_id: str | None = Field(default=None, description="Checkpoint id to update from.")


class ThreadHistoryRequest(RequestModel):
    limit: int = Field(default=10, ge=1, le=1000, description="How many states.")
    before: str | Json | None = Field(default=None, description="Only states before this one.")
    metadata: Json | None = Field(default=None, description="Checkpoint metadata to match.")
    checkpoint: Json | None = Field(default=None, description="Checkpoint namespace to read.")
