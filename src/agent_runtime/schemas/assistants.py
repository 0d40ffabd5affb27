"""Assistant resource and the bodies of its operations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from agent_runtime.schemas.common import (
    Config,
    Description,
    IfExists,
    Json,
    Limit,
    Name,
    Offset,
    RequestModel,
    ResourceId,
    SortOrder,
    Timestamp,
)

AssistantSortBy = Literal["assistant_id", "graph_id", "name", "created_at", "updated_at"]
AssistantField = Literal[
    "assistant_id",
    "graph_id",
    "name",
    "description",
    "config",
    "context",
    "created_at",
    "updated_at",
    "metadata",
    "version",
]


class Assistant(BaseModel):
    assistant_id: str = Field(description="The unique identifier of the assistant.")
    graph_id: str = Field(description="The ID of the graph the assistant uses.")
    config: Config = Field(description="Configuration for the assistant.")
    context: Json = Field(description="Static context added to the assistant.")
    metadata: Json = Field(description="Custom metadata for the assistant.")
    name: str = Field(description="The name of the assistant.")
    description: str | None = Field(description="A description of the assistant.")
    version: int = Field(description="The version number of the assistant.")
    created_at: Timestamp = Field(description="The time the assistant was created.")
    updated_at: Timestamp = Field(description="The last time the assistant was updated.")


class AssistantCreate(RequestModel):
    """Payload for creating an assistant."""

    graph_id: ResourceId = Field(description="The ID of the graph the assistant should use.")
    assistant_id: ResourceId | None = Field(
        default=None, description="The ID of the assistant; a random UUID when omitted."
    )
    config: Config = Field(default_factory=Config, description="Configuration for the graph.")
    context: Json = Field(default_factory=dict, description="Static context for the graph.")
    metadata: Json = Field(default_factory=dict, description="Metadata to add to assistant.")
    if_exists: IfExists = Field(
        default="raise",
        description="'raise' answers 409 for a taken id; 'do_nothing' returns the existing one.",
    )
    name: Name | None = Field(default=None, description="The name of the assistant.")
    description: Description | None = Field(default=None, description="A description.")


class AssistantPatch(RequestModel):
    """Payload for updating an assistant: metadata merges, config and context are replaced."""

    graph_id: ResourceId | None = Field(default=None, description="The graph to use.")
    config: Config | None = Field(default=None, description="Replaces the config.")
    context: Json | None = Field(default=None, description="Replaces the context.")
    metadata: Json | None = Field(default=None, description="Merged into the metadata.")
    name: Name | None = Field(default=None, description="The new name.")
    description: Description | None = Field(default=None, description="The new description.")


class AssistantCountRequest(RequestModel):
    metadata: Json | None = Field(default=None, description="Metadata the assistant contains.")
    graph_id: str | None = Field(default=None, description="Filter by graph ID.")
    name: str | None = Field(default=None, description="Filter by name (partial match).")


class AssistantSearchRequest(AssistantCountRequest):
    limit: Limit = 10
    offset: Offset = 0
    sort_by: AssistantSortBy | None = Field(default=None, description="Field to sort by.")
    sort_order: SortOrder | None = Field(default=None, description="Sort order.")
    select: list[AssistantField] | None = Field(
        default=None, description="Fields to include in each result."
    )
