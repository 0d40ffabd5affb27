"""Thread resource and the bodies of its operations."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agent_runtime.schemas.common import (
    IfExists,
    Json,
    Limit,
    Offset,
    RequestModel,
    ResourceId,
    SortOrder,
    Timestamp,
)

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
ThreadSortBy = Literal["thread_id", "status", "created_at", "updated_at"]
ThreadField = Literal[
    "thread_id",
    "created_at",
    "updated_at",
    "metadata",
    "config",
    "status",
    "values",
    "interrupts",
]


class Thread(BaseModel):
    thread_id: str = Field(description="The unique identifier of the thread.")
    metadata: Json = Field(description="Custom metadata for the thread.")
    config: Json = Field(default_factory=dict, description="Thread configuration.")
    status: ThreadStatus = Field(description="The current status of the thread.")
    values: Json = Field(default_factory=dict, description="The latest state values.")
    interrupts: dict[str, Any] = Field(
        default_factory=dict, description="Pending interrupts, by task id."
    )
    created_at: Timestamp = Field(description="The time the thread was created.")
    updated_at: Timestamp = Field(description="The last time the thread was updated.")


class ThreadCreate(RequestModel):
    """Payload for creating a thread."""

    thread_id: ResourceId | None = Field(
        default=None, description="The ID of the thread; a random UUID when omitted."
    )
    metadata: Json = Field(default_factory=dict, description="Metadata to add to thread.")
    if_exists: IfExists = Field(default="raise", description="How to handle a taken id.")
    supersteps: list[Json] | None = Field(
        default=None, description="State updates to apply on creation (not supported)."
    )
    ttl: Json | None = Field(default=None, description="Time to live (not supported).")


class ThreadPatch(RequestModel):
    """Payload for updating a thread: metadata merges."""

    metadata: Json = Field(default_factory=dict, description="Merged into the metadata.")
    ttl: Json | None = Field(default=None, description="Time to live (not supported).")


class ThreadCountRequest(RequestModel):
    metadata: Json | None = Field(default=None, description="Metadata the thread contains.")
    values: Json | None = Field(default=None, description="State values the thread contains.")
    status: ThreadStatus | None = Field(default=None, description="Filter by thread status.")


class ThreadSearchRequest(ThreadCountRequest):
    ids: list[ResourceId] | None = Field(default=None, description="Only these thread ids.")
    limit: Limit = 10
    offset: Offset = 0
    sort_by: ThreadSortBy | None = Field(default=None, description="Field to sort by.")
    sort_order: SortOrder | None = Field(default=None, description="Sort order.")
    select: list[ThreadField] | None = Field(
        default=None, description="Fields to include in each result."
    )
    extract: Json | None = Field(default=None, description="Value extraction (not supported).")
