"""Store items (long-term memory) and the bodies of the Store API."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, Field, field_validator

from agent_runtime.schemas.common import Json, Limit, Offset, RequestModel, Timestamp
from agent_runtime.storage.base import StoreItem
from agent_runtime.storage.store_query import parse_filter


def check_label(label: str) -> str:
    if not label:
        raise ValueError("namespace labels must be non-empty")
    if "." in label:
        raise ValueError(f"namespace label '{label}' must not contain '.'")
    # Postgres text cannot hold NUL, so no storage could keep such a label.
    if "\x00" in label:
        raise ValueError("namespace labels must not contain NUL characters")
    return label


Label = Annotated[str, AfterValidator(check_label)]
Namespace = Annotated[
    list[Label], Field(min_length=1, description="The namespace labels, e.g. ['users', 'u1'].")
]
NamespacePrefix = Annotated[
    list[Label], Field(description="Namespace labels the items' namespaces start with.")
]
# In list-namespace patterns a label may also be "*", matching any one label.
NamespacePattern = Annotated[list[Label], Field(description="Labels; '*' matches any label.")]
ItemKey = Annotated[str, Field(min_length=1, description="The key within the namespace.")]
NamespaceLimit = Annotated[
    int, Field(ge=1, le=1000, description="Maximum number of namespaces to return.")
]
MaxDepth = Annotated[int, Field(ge=1, description="Truncate namespaces to this many labels.")]


class Item(BaseModel):
    """A stored item."""

    namespace: list[str] = Field(description="The namespace of the item.")
    key: str = Field(description="The key of the item.")
    value: Json = Field(description="The stored value.")
    created_at: Timestamp = Field(description="When the item was created.")
    updated_at: Timestamp = Field(description="When the item was last updated.")

    @classmethod
    def of(cls, item: StoreItem) -> Item:
        return cls(
            namespace=list(item.namespace),
            key=item.key,
            value=item.value,
            created_at=item.created_at,
            updated_at=item.updated_at,
        )


class StorePutRequest(RequestModel):
    """Request to store an item."""

    namespace: Namespace
    key: ItemKey
    value: Json = Field(description="The value to store; must be a JSON object.")
    index: Literal[False] | list[str] | None = Field(
        default=None, description="Fields to index for semantic search (no index is kept)."
    )
    ttl: float | None = Field(default=None, description="Time to live in minutes (not supported).")


class StoreDeleteRequest(RequestModel):
    """Request to delete an item."""

    namespace: Namespace
    key: ItemKey


class StoreSearchRequest(RequestModel):
    """Request to search store items."""

    namespace_prefix: NamespacePrefix = Field(
        default_factory=list,
        validation_alias=AliasChoices("namespace_prefix", "namespace"),
    )
    filter: Json | None = Field(
        default=None,
        description="Equality on top-level value keys, or {'$eq'|'$ne'|'$gt'|'$gte'|'$lt'|"
        "'$lte': operand}.",
    )
    query: str | None = Field(
        default=None, description="Case-insensitive text that the value must contain."
    )
    limit: Limit = 10
    offset: Offset = 0
    refresh_ttl: bool | None = Field(default=None, description="Ignored: items never expire.")

    @field_validator("filter")
    @classmethod
    def _known_operators(cls, value: Json | None) -> Json | None:
        parse_filter(value)
        return value


class SearchItemsResponse(BaseModel):
    items: list[Item]


class ListNamespacesRequest(RequestModel):
    """Request to list namespaces."""

    prefix: NamespacePattern | None = None
    suffix: NamespacePattern | None = None
    max_depth: MaxDepth | None = None
    limit: NamespaceLimit = 100
    offset: Offset = 0


class ListNamespacesResponse(BaseModel):
    namespaces: list[list[str]]


def parse_query_namespace(raw: str | list[str]) -> list[str]:
    """A namespace given in a query string: `a.b.c`, a JSON array, or repeated labels."""
    if isinstance(raw, list):
        if len(raw) != 1:
            return raw
        raw = raw[0]
    if raw.startswith("["):
        try:
            labels: Any = json.loads(raw)
        except ValueError:
            labels = None
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ValueError("expected a dotted namespace or a JSON array of strings")
        return labels
    return raw.split(".") if raw else []
