"""Pieces the Postgres repositories share: WHERE clauses composed from constant fragments
with bound parameters, owner scoping, and tolerant JSON reading of rows."""

from __future__ import annotations

from typing import Any

import orjson
from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.storage.base import SYSTEM_OWNER, Owner

ASC = sql.SQL("ASC")
DESC = sql.SQL("DESC")
# `@>` on a GIN (jsonb_path_ops) index; owner and user filters are separate conditions, so a
# filter that names an `owner` can never widen the caller's scope.
METADATA_CONTAINS = sql.SQL("metadata @> %s")
OWNED_BY = sql.SQL("metadata @> %s")
READABLE_BY = sql.SQL("(metadata @> %s OR metadata @> %s)")


class Where:
    """An AND of conditions, each a constant SQL fragment with its parameters."""

    def __init__(self) -> None:
        self.clauses: list[sql.Composable] = []
        self.params: list[Any] = []

    def add(self, clause: sql.Composable, *params: Any) -> Where:
        self.clauses.append(clause)
        self.params.extend(params)
        return self

    def owned(self, owner: Owner) -> Where:
        if owner is not None:
            self.add(OWNED_BY, Jsonb({"owner": owner}))
        return self

    def readable(self, owner: Owner) -> Where:
        """Owned, or owned by `system` (system assistants are shared with everyone)."""
        if owner is not None:
            self.add(READABLE_BY, Jsonb({"owner": owner}), Jsonb({"owner": SYSTEM_OWNER}))
        return self

    def sql(self) -> sql.Composable:
        if not self.clauses:
            return sql.SQL("TRUE")
        return sql.SQL(" AND ").join(self.clauses)


def json_object(value: Any) -> dict[str, Any]:
    """A JSONB column as a dict. Rows written by older code may hold a JSON string of the
    object instead of the object; read those too."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return value if isinstance(value, list) else []


def order(descending: bool) -> sql.SQL:
    return DESC if descending else ASC
