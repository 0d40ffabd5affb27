"""What a store search and a namespace listing mean, shared by every store implementation.

Postgres runs filters in SQL; the rules here are the reference both storages are tested
against: equality is exact JSON equality, `$ne` also matches a missing key, and the range
operators compare numbers with numbers and strings with strings (by code point), never across
types.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from agent_runtime.storage.base import Namespace, NamespaceQuery

Operator = Literal["$eq", "$ne", "$gt", "$gte", "$lt", "$lte"]
OPERATORS: tuple[Operator, ...] = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")
RANGE_OPERATORS: tuple[Operator, ...] = ("$gt", "$gte", "$lt", "$lte")
WILDCARD = "*"


class InvalidFilterError(ValueError):
    """A search filter uses an unknown operator or an operand it cannot compare."""


@dataclass(frozen=True)
class Condition:
    key: str
    op: Operator
    operand: Any


def parse_filter(where: dict[str, Any] | None) -> list[Condition]:
    """One condition per (key, operator); a plain value means `$eq`."""
    conditions: list[Condition] = []
    for key, spec in (where or {}).items():
        if isinstance(spec, dict) and spec and all(str(k).startswith("$") for k in spec):
            for op, operand in spec.items():
                conditions.append(_condition(key, op, operand))
        else:
            conditions.append(Condition(key, "$eq", spec))
    return conditions


def _condition(key: str, op: str, operand: Any) -> Condition:
    if op not in OPERATORS:
        raise InvalidFilterError(
            f"unknown operator '{op}' on key '{key}' (use one of {', '.join(OPERATORS)})"
        )
    if op in RANGE_OPERATORS and _kind(operand) is None:
        raise InvalidFilterError(f"'{op}' on key '{key}' needs a number or a string")
    return Condition(key, op, operand)


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def matches_filter(value: dict[str, Any], conditions: Iterable[Condition]) -> bool:
    return all(_holds(value, condition) for condition in conditions)


def _holds(value: dict[str, Any], condition: Condition) -> bool:
    present = condition.key in value
    actual = value.get(condition.key)
    if condition.op == "$eq":
        return present and _json_equal(actual, condition.operand)
    if condition.op == "$ne":
        return not (present and _json_equal(actual, condition.operand))
    kind = _kind(condition.operand)
    if not present or _kind(actual) != kind:
        return False
    operand = condition.operand
    if condition.op == "$gt":
        return bool(actual > operand)
    if condition.op == "$gte":
        return bool(actual >= operand)
    if condition.op == "$lt":
        return bool(actual < operand)
    return bool(actual <= operand)


def _json_equal(left: Any, right: Any) -> bool:
    # JSON has one number type (1 == 1.0) but booleans are not numbers.
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_json_equal, left, right))
    if isinstance(left, dict | list) or isinstance(right, dict | list):
        return False
    if _kind(left) == _kind(right) == "number":
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


def matches_text(value: dict[str, Any], query: str | None) -> bool:
    """Case-insensitive substring match over the value's JSON text, as `ILIKE` sees it."""
    if not query:
        return True
    return query.casefold() in json.dumps(value, ensure_ascii=False).casefold()


def has_prefix(namespace: Namespace, prefix: Namespace) -> bool:
    return namespace[: len(prefix)] == prefix


def select_namespaces(namespaces: Iterable[Namespace], query: NamespaceQuery) -> list[Namespace]:
    """Match, truncate to `max_depth`, de-duplicate, sort, then page."""
    selected = {
        namespace[: query.max_depth] if query.max_depth is not None else namespace
        for namespace in namespaces
        if _matches_pattern(namespace, query.prefix, from_end=False)
        and _matches_pattern(namespace, query.suffix, from_end=True)
    }
    ordered = sorted(selected)
    return ordered[query.offset : query.offset + query.limit]


def _matches_pattern(namespace: Namespace, pattern: Namespace | None, *, from_end: bool) -> bool:
    if not pattern:
        return True
    if len(pattern) > len(namespace):
        return False
    labels = namespace[len(namespace) - len(pattern) :] if from_end else namespace[: len(pattern)]
    return all(want in (WILDCARD, label) for want, label in zip(pattern, labels, strict=True))
