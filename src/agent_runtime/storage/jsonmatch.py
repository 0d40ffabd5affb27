"""Postgres `jsonb @>` containment, so the in-memory storage filters exactly as SQL does."""

from __future__ import annotations

from typing import Any


def contains(doc: Any, pattern: Any) -> bool:
    """True when `doc @> pattern` would hold in Postgres (objects and arrays nested)."""
    if isinstance(pattern, dict):
        return isinstance(doc, dict) and all(
            key in doc and contains(doc[key], value) for key, value in pattern.items()
        )
    if isinstance(pattern, list):
        return isinstance(doc, list) and all(any(contains(d, p) for d in doc) for p in pattern)
    if isinstance(doc, (dict, list)):
        return False
    # JSON has one number type (1 == 1.0) but booleans are not numbers.
    if isinstance(doc, bool) or isinstance(pattern, bool):
        return doc is pattern
    return bool(doc == pattern)
