"""The `(org, user, assistant, category)` namespace conventions shared with the sibling runtime."""

from __future__ import annotations

from typing import Any

import pytest

from agent_runtime.store_namespace import (
    CATEGORY_CONTEXT,
    CATEGORY_MEMORIES,
    CATEGORY_PREFERENCES,
    CATEGORY_TOKENS,
    GLOBAL_AGENT_ID,
    SHARED_USER_ID,
    NamespaceComponents,
    build_namespace,
    extract_namespace_components,
)

COMPLETE = {"supabase_organization_id": "org-1", "owner": "u-1", "assistant_id": "a-1"}


def test_constants_match_the_sibling_runtime() -> None:
    assert (CATEGORY_TOKENS, CATEGORY_CONTEXT, CATEGORY_MEMORIES, CATEGORY_PREFERENCES) == (
        "tokens",
        "context",
        "memories",
        "preferences",
    )
    assert (SHARED_USER_ID, GLOBAL_AGENT_ID) == ("shared", "global")


def test_components_are_read_from_configurable() -> None:
    config = {"configurable": {**COMPLETE, "owner": " u-1 ", "other": 1}}
    assert extract_namespace_components(config) == NamespaceComponents("org-1", "u-1", "a-1")


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_a_missing_component_gives_none(missing: str) -> None:
    configurable = {k: v for k, v in COMPLETE.items() if k != missing}
    assert extract_namespace_components({"configurable": configurable}) is None


@pytest.mark.parametrize("blank", ["", "   ", None, 7])
def test_a_blank_component_gives_none(blank: Any) -> None:
    config = {"configurable": {**COMPLETE, "assistant_id": blank}}
    assert extract_namespace_components(config) is None


@pytest.mark.parametrize("config", [None, {}, {"configurable": None}])
def test_no_configurable_gives_none(config: Any) -> None:
    assert extract_namespace_components(config) is None


def test_build_namespace_strips_each_component() -> None:
    assert build_namespace(" org ", "u-1", GLOBAL_AGENT_ID, f"{CATEGORY_MEMORIES} ") == (
        "org",
        "u-1",
        "global",
        "memories",
    )


@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize("blank", ["", "  \t"])
def test_build_namespace_names_the_blank_component(position: int, blank: str) -> None:
    names = ["org_id", "user_id", "assistant_id", "category"]
    parts = ["org", "user", "assistant", "context"]
    parts[position] = blank
    with pytest.raises(ValueError, match=names[position]):
        build_namespace(*parts)
