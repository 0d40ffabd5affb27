"""Store items in `langgraph_server.store_items`, in the sibling runtime's row format.

Namespaces are kept as its text-array literal (see `namespace_literal`), so prefix search is a
`LIKE` on the encoded text that the `(owner_id, namespace text_pattern_ops)` index serves.
Filters, the text query and paging run in SQL; the rules are those of `store_query`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.schemas.common import Json
from agent_runtime.storage.base import (
    Namespace,
    NamespaceQuery,
    StoreItem,
    StoreSearch,
)
from agent_runtime.storage.namespace_literal import (
    decode_namespace,
    encode_namespace,
    escape_like,
    prefix_patterns,
)
from agent_runtime.storage.postgres.common import Where, json_object
from agent_runtime.storage.postgres.connection import Pool
from agent_runtime.storage.store_query import (
    WILDCARD,
    Condition,
    parse_filter,
    select_namespaces,
)

COLUMNS = "namespace, key, value, created_at, updated_at"

# `created_at` is kept on conflict: an upsert only replaces the value.
UPSERT = f"""
INSERT INTO langgraph_server.store_items (namespace, key, value, owner_id)
VALUES (%s, %s, %s, %s)
ON CONFLICT (namespace, key, owner_id)
DO UPDATE SET value = EXCLUDED.value, updated_at = now()
RETURNING {COLUMNS}
"""

GET = f"""
SELECT {COLUMNS} FROM langgraph_server.store_items
WHERE owner_id = %s AND namespace = %s AND key = %s
"""

DELETE = """
DELETE FROM langgraph_server.store_items
WHERE owner_id = %s AND namespace = %s AND key = %s
"""

# Ties on updated_at are broken by position, so pages never overlap.
SEARCH = sql.SQL(f"""
SELECT {COLUMNS} FROM langgraph_server.store_items
WHERE {{where}}
ORDER BY updated_at DESC, namespace, key
LIMIT %s OFFSET %s
""")

NAMESPACES = sql.SQL("SELECT DISTINCT namespace FROM langgraph_server.store_items WHERE {where}")

OWNED_BY = sql.SQL("owner_id = %s")
UNDER_PREFIX = sql.SQL(
    "(namespace = %s OR namespace = %s OR namespace LIKE %s OR namespace LIKE %s)"
)
VALUE_EQUALS = sql.SQL("(value -> %s) = %s")
# A missing key differs from every value, as in the in-memory store.
VALUE_DIFFERS = sql.SQL("(value -> %s) IS DISTINCT FROM %s")
# Range operators never compare across JSON types; strings compare by code point.
NUMBER_COMPARES = sql.SQL("(jsonb_typeof(value -> %s) = 'number' AND (value -> %s) {op} %s)")
STRING_COMPARES = sql.SQL(
    "(jsonb_typeof(value -> %s) = 'string' AND (value ->> %s) COLLATE \"C\" {op} %s)"
)
TEXT_CONTAINS = sql.SQL("value::text ILIKE %s")

RANGE_SQL = {"$gt": sql.SQL(">"), "$gte": sql.SQL(">="), "$lt": sql.SQL("<"), "$lte": sql.SQL("<=")}


class PostgresStoreItems:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def put(self, owner: str, namespace: Namespace, key: str, value: Json) -> StoreItem:
        params = (encode_namespace(namespace), key, Jsonb(value), owner)
        async with self._pool.connection() as conn:
            row = await (await conn.execute(UPSERT, params)).fetchone()
        assert row is not None
        return _item(row)

    async def get(self, owner: str, namespace: Namespace, key: str) -> StoreItem | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(GET, (owner, encode_namespace(namespace), key))
            row = await cursor.fetchone()
        return _item(row) if row else None

    async def delete(self, owner: str, namespace: Namespace, key: str) -> bool:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(DELETE, (owner, encode_namespace(namespace), key))
            return cursor.rowcount > 0

    async def search(self, owner: str, search: StoreSearch) -> list[StoreItem]:
        where = Where().add(OWNED_BY, owner)
        if search.prefix:
            where.add(UNDER_PREFIX, *prefix_patterns(search.prefix))
        for condition in parse_filter(search.filter):
            _add_condition(where, condition)
        if search.query:
            where.add(TEXT_CONTAINS, f"%{escape_like(search.query)}%")
        query = SEARCH.format(where=where.sql())
        async with self._pool.connection() as conn:
            cursor = await conn.execute(query, (*where.params, search.limit, search.offset))
            rows = await cursor.fetchall()
        return [_item(row) for row in rows]

    async def list_namespaces(self, owner: str, query: NamespaceQuery) -> list[Namespace]:
        where = Where().add(OWNED_BY, owner)
        # The labels before the first wildcard narrow the scan in SQL; wildcards, suffix,
        # depth and paging apply to the (few) distinct namespaces in Python.
        fixed = _leading_labels(query.prefix or ())
        if fixed:
            where.add(UNDER_PREFIX, *prefix_patterns(fixed))
        async with self._pool.connection() as conn:
            cursor = await conn.execute(NAMESPACES.format(where=where.sql()), where.params)
            rows = await cursor.fetchall()
        return select_namespaces((decode_namespace(row["namespace"]) for row in rows), query)


def _add_condition(where: Where, condition: Condition) -> None:
    key, operand = condition.key, condition.operand
    if condition.op == "$eq":
        where.add(VALUE_EQUALS, key, Jsonb(operand))
    elif condition.op == "$ne":
        where.add(VALUE_DIFFERS, key, Jsonb(operand))
    elif isinstance(operand, str):
        where.add(STRING_COMPARES.format(op=RANGE_SQL[condition.op]), key, key, operand)
    else:
        where.add(NUMBER_COMPARES.format(op=RANGE_SQL[condition.op]), key, key, Jsonb(operand))


def _leading_labels(prefix: Namespace) -> Namespace:
    fixed: list[str] = []
    for label in prefix:
        if label == WILDCARD:
            break
        fixed.append(label)
    return tuple(fixed)


def _item(row: dict[str, Any]) -> StoreItem:
    created_at: datetime = row["created_at"]
    updated_at: datetime = row["updated_at"]
    return StoreItem(
        namespace=decode_namespace(row["namespace"]),
        key=row["key"],
        value=json_object(row["value"]),
        created_at=created_at,
        updated_at=updated_at,
    )
