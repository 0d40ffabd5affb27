"""Assistants in `langgraph_server.assistants`."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from agent_runtime.schemas.assistants import Assistant, AssistantSortBy
from agent_runtime.schemas.common import utcnow
from agent_runtime.storage.base import AssistantFilter, AssistantUpdate, Owner, Page, Sort
from agent_runtime.storage.postgres.common import METADATA_CONTAINS, Where, json_object, order
from agent_runtime.storage.postgres.connection import Pool

INSERT = """
INSERT INTO langgraph_server.assistants
  (id, graph_id, config, context, metadata, name, description, version, created_at, updated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
RETURNING *
"""

SELECT = sql.SQL("SELECT * FROM langgraph_server.assistants WHERE {where}")
SELECT_PAGE = sql.SQL(
    "SELECT * FROM langgraph_server.assistants WHERE {where}"
    " ORDER BY {column} {order}, id {order} LIMIT %s OFFSET %s"
)
COUNT = sql.SQL("SELECT count(*) AS n FROM langgraph_server.assistants WHERE {where}")

# NULL means "leave as is"; metadata merges shallowly, as `||` does on objects.
UPDATE = sql.SQL("""
UPDATE langgraph_server.assistants SET
  graph_id = COALESCE(%s, graph_id),
  config = COALESCE(%s, config),
  context = COALESCE(%s, context),
  metadata = metadata || COALESCE(%s, '{{}}'::jsonb),
  name = COALESCE(%s, name),
  description = COALESCE(%s, description),
  version = version + 1,
  updated_at = %s
WHERE {where}
RETURNING *
""")
DELETE = sql.SQL("DELETE FROM langgraph_server.assistants WHERE {where} RETURNING id")

BY_ID = sql.SQL("id = %s")
BY_GRAPH = sql.SQL("graph_id = %s")
NAME_CONTAINS = sql.SQL("strpos(lower(COALESCE(name, '')), lower(%s)) > 0")

SORT_COLUMNS: dict[str, sql.Composable] = {
    "assistant_id": sql.SQL("id"),
    "graph_id": sql.SQL("graph_id"),
    "name": sql.SQL("COALESCE(name, '')"),
    "created_at": sql.SQL("created_at"),
    "updated_at": sql.SQL("updated_at"),
}


def assistant_from_row(row: dict[str, Any]) -> Assistant:
    return Assistant.model_validate(
        {
            "assistant_id": row["id"],
            "graph_id": row["graph_id"],
            "config": json_object(row["config"]),
            "context": json_object(row["context"]),
            "metadata": json_object(row["metadata"]),
            # The sibling runtime allows a NULL name; the API always has one.
            "name": row["name"] if row["name"] is not None else "Untitled",
            "description": row["description"],
            "version": row["version"],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
        }
    )


def _filter(owner: Owner, where: AssistantFilter) -> Where:
    clauses = Where().readable(owner)
    if where.graph_id is not None:
        clauses.add(BY_GRAPH, where.graph_id)
    if where.name:
        clauses.add(NAME_CONTAINS, where.name)
    if where.metadata is not None:
        clauses.add(METADATA_CONTAINS, Jsonb(where.metadata))
    return clauses


class PostgresAssistants:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def create(self, owner: Owner, assistant: Assistant) -> Assistant | None:
        params = (
            assistant.assistant_id,
            assistant.graph_id,
            Jsonb(assistant.config.model_dump(mode="json")),
            Jsonb(assistant.context),
            Jsonb(assistant.metadata),
            assistant.name,
            assistant.description,
            assistant.version,
            assistant.created_at,
            assistant.updated_at,
        )
        async with self._pool.connection() as conn:
            row = await (await conn.execute(INSERT, params)).fetchone()
        return assistant_from_row(row) if row is not None else None

    async def get(self, owner: Owner, assistant_id: str) -> Assistant | None:
        where = Where().add(BY_ID, assistant_id).readable(owner)
        async with self._pool.connection() as conn:
            cur = await conn.execute(SELECT.format(where=where.sql()), where.params)
            row = await cur.fetchone()
        return assistant_from_row(row) if row is not None else None

    async def update(
        self, owner: Owner, assistant_id: str, update: AssistantUpdate
    ) -> Assistant | None:
        where = Where().add(BY_ID, assistant_id).owned(owner)
        params = [
            update.graph_id,
            Jsonb(update.config.model_dump(mode="json")) if update.config is not None else None,
            Jsonb(update.context) if update.context is not None else None,
            Jsonb(update.metadata) if update.metadata is not None else None,
            update.name,
            update.description,
            utcnow(),
            *where.params,
        ]
        async with self._pool.connection() as conn:
            cur = await conn.execute(UPDATE.format(where=where.sql()), params)
            row = await cur.fetchone()
        return assistant_from_row(row) if row is not None else None

    async def delete(self, owner: Owner, assistant_id: str) -> bool:
        where = Where().add(BY_ID, assistant_id).owned(owner)
        async with self._pool.connection() as conn:
            cur = await conn.execute(DELETE.format(where=where.sql()), where.params)
            return await cur.fetchone() is not None

    async def search(
        self, owner: Owner, where: AssistantFilter, sort: Sort[AssistantSortBy], page: Page
    ) -> tuple[list[Assistant], int]:
        clauses = _filter(owner, where)
        query = SELECT_PAGE.format(
            where=clauses.sql(),
            column=SORT_COLUMNS[sort.by],
            order=order(sort.order == "desc"),
        )
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, [*clauses.params, page.limit, page.offset])
            rows = await cur.fetchall()
            count = await conn.execute(COUNT.format(where=clauses.sql()), clauses.params)
            total = await count.fetchone()
        return [assistant_from_row(r) for r in rows], total["n"] if total else 0

    async def count(self, owner: Owner, where: AssistantFilter) -> int:
        clauses = _filter(owner, where)
        async with self._pool.connection() as conn:
            cur = await conn.execute(COUNT.format(where=clauses.sql()), clauses.params)
            row = await cur.fetchone()
        return int(row["n"]) if row else 0
