"""Where agents keep long-term memory: `(org_id, user_id, assistant_id, category)` namespaces.

The same tuples are written by the sibling runtime and by UIs through the Store API, so the
category names and pseudo-ids below are part of the shared contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

CATEGORY_TOKENS = "tokens"
CATEGORY_CONTEXT = "context"
CATEGORY_MEMORIES = "memories"
CATEGORY_PREFERENCES = "preferences"

# Stands in for the user id when an item is shared by the whole organisation.
SHARED_USER_ID = "shared"
# Stands in for the assistant id when an item belongs to the user across all assistants.
GLOBAL_AGENT_ID = "global"

__all__ = [
    "CATEGORY_CONTEXT",
    "CATEGORY_MEMORIES",
    "CATEGORY_PREFERENCES",
    "CATEGORY_TOKENS",
    "GLOBAL_AGENT_ID",
    "SHARED_USER_ID",
    "NamespaceComponents",
    "build_namespace",
    "extract_namespace_components",
]


class NamespaceComponents(NamedTuple):
    org_id: str
    user_id: str
    assistant_id: str


def extract_namespace_components(config: Mapping[str, Any] | None) -> NamespaceComponents | None:
    """The org, user and assistant of a run's config; `None` when any is missing or blank."""
    configurable = (config or {}).get("configurable") or {}
    values = (
        configurable.get("supabase_organization_id"),
        configurable.get("owner"),
        configurable.get("assistant_id"),
    )
    stripped = [value.strip() if isinstance(value, str) else "" for value in values]
    if not all(stripped):
        return None
    return NamespaceComponents(*stripped)


def build_namespace(
    org_id: str, user_id: str, assistant_id: str, category: str
) -> tuple[str, str, str, str]:
    """The stripped 4-tuple; raises `ValueError` naming an empty or blank component."""
    parts = {
        "org_id": org_id,
        "user_id": user_id,
        "assistant_id": assistant_id,
        "category": category,
    }
    for name, value in parts.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"Namespace component '{name}' must be a non-empty string")
    return (org_id.strip(), user_id.strip(), assistant_id.strip(), category.strip())
