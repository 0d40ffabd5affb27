"""Types shared by every resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    model_serializer,
)

Json = dict[str, Any]
SortOrder = Literal["asc", "desc"]
IfExists = Literal["raise", "do_nothing"]


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a `Z` suffix."""
    utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    # `isoformat` truncates to the millisecond, and is several times faster than `strftime`.
    return utc.isoformat(timespec="milliseconds") + "Z"


def utcnow() -> datetime:
    return datetime.now(UTC)


Timestamp = Annotated[
    datetime, PlainSerializer(format_timestamp, return_type=str, when_used="always")
]

# Client-supplied ids are taken as given: the sibling runtime writes 32-char hex ids.
ResourceId = Annotated[str, Field(min_length=1, max_length=255)]
Name = Annotated[str, Field(max_length=1000)]
Description = Annotated[str, Field(max_length=10_000)]
Limit = Annotated[int, Field(ge=1, le=1000, description="Maximum number of results.")]
Offset = Annotated[int, Field(ge=0, description="Number of results to skip.")]


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are ignored, as newer clients send more."""

    model_config = ConfigDict(extra="ignore")


class Config(BaseModel):
    """A LangGraph runnable config as stored on assistants and runs."""

    model_config = ConfigDict(extra="allow")

    tags: list[str] | None = Field(default=None, description="Tags for categorizing the run.")
    recursion_limit: int | None = Field(
        default=None, ge=1, description="Maximum number of supersteps the graph may take."
    )
    configurable: Json | None = Field(
        default=None, description="Configurable parameters for the graph."
    )

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: SerializerFunctionWrapHandler) -> Json:
        # Stored and served as the sibling runtime does: absent keys, not nulls.
        data: Json = handler(self)
        return {key: value for key, value in data.items() if value is not None}


class Checkpoint(BaseModel):
    thread_id: str
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None
    checkpoint_map: Json | None = None
