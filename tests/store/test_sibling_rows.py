"""Rows shared with the sibling runtime: its rows read through our API, ours in its format."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from agent_runtime.app import create_app
from agent_runtime.config import Settings
from agent_runtime.storage.base import ANONYMOUS_OWNER
from agent_runtime.storage.postgres.connection import Pool

pytestmark = pytest.mark.postgres

SECRET = "store-test-secret-with-at-least-32-bytes"
SIBLING_OWNER = "u-1111"

# The row as the sibling runtime writes it (reference DDL, python-schema.sql).
SIBLING_ROW = """
INSERT INTO langgraph_server.store_items (namespace, key, value, owner_id)
  VALUES ('{org.u-1111.agent.memories}', 'fav', '{"color": "blue"}', 'u-1111')
"""
FORGET_OWNER = "DELETE FROM langgraph_server.store_items WHERE owner_id = %s"
STORED_ROW = """
SELECT namespace, owner_id, jsonb_typeof(value) AS kind, value
FROM langgraph_server.store_items WHERE key = %s
"""


def bearer(subject: str) -> dict[str, str]:
    now = int(time.time())
    claims = {"sub": subject, "aud": "authenticated", "iat": now, "exp": now + 600}
    return {"Authorization": f"Bearer {jwt.encode(claims, SECRET, algorithm='HS256')}"}


async def open_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


def postgres_settings(database_url: str, **extra: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, openai_api_key=None, database_url=database_url, **extra
    )


@pytest.fixture
async def authed(database_url: str, store_pool: Pool) -> AsyncIterator[httpx.AsyncClient]:
    async for http in open_client(postgres_settings(database_url, supabase_jwt_secret=SECRET)):
        yield http


@pytest.fixture
async def anonymous(database_url: str, store_pool: Pool) -> AsyncIterator[httpx.AsyncClient]:
    async for http in open_client(postgres_settings(database_url)):
        yield http


async def test_sibling_row_is_served_to_its_owner(
    authed: httpx.AsyncClient, store_pool: Pool
) -> None:
    async with store_pool.connection() as conn:
        await conn.execute(FORGET_OWNER, (SIBLING_OWNER,))
        await conn.execute(SIBLING_ROW)
    owner = bearer(SIBLING_OWNER)

    got = await authed.get(
        "/store/items",
        params={"namespace": "org.u-1111.agent.memories", "key": "fav"},
        headers=owner,
    )
    assert got.status_code == 200, got.text
    assert got.json()["namespace"] == ["org", "u-1111", "agent", "memories"]
    assert got.json()["value"] == {"color": "blue"}

    found = await authed.post(
        "/store/items/search",
        json={"namespace_prefix": ["org", "u-1111"], "filter": {"color": "blue"}},
        headers=owner,
    )
    assert [item["key"] for item in found.json()["items"]] == ["fav"]
    listed = await authed.post("/store/namespaces", json={"max_depth": 3}, headers=owner)
    assert listed.json() == {"namespaces": [["org", "u-1111", "agent"]]}

    stranger = bearer(f"u-{uuid.uuid4().hex}")
    hidden = await authed.get(
        "/store/items",
        params={"namespace": "org.u-1111.agent.memories", "key": "fav"},
        headers=stranger,
    )
    assert hidden.status_code == 404
    assert hidden.json() == {"detail": "Item not found"}


@pytest.mark.parametrize(
    ("namespace", "literal"),
    [
        (["org", "u1", "a1", "tokens"], "{org.u1.a1.tokens}"),
        (["org", "my ns", "prefs"], '{"org.my ns.prefs"}'),
    ],
)
async def test_api_rows_are_in_the_sibling_format(
    authed: httpx.AsyncClient, store_pool: Pool, namespace: list[str], literal: str
) -> None:
    user = f"u-{uuid.uuid4().hex}"
    key = f"k-{uuid.uuid4().hex}"
    response = await authed.put(
        "/store/items",
        json={"namespace": namespace, "key": key, "value": {"n": 1, "s": "ü"}},
        headers=bearer(user),
    )
    assert response.status_code == 204

    async with store_pool.connection() as conn:
        row = await (await conn.execute(STORED_ROW, (key,))).fetchone()
    assert row == {
        "namespace": literal,
        "owner_id": user,
        "kind": "object",
        "value": {"n": 1, "s": "ü"},
    }


async def test_without_auth_rows_belong_to_the_anonymous_owner(
    anonymous: httpx.AsyncClient, store_pool: Pool
) -> None:
    key = f"k-{uuid.uuid4().hex}"
    response = await anonymous.put(
        "/store/items", json={"namespace": ["notes"], "key": key, "value": {"x": 1}}
    )
    assert response.status_code == 204
    async with store_pool.connection() as conn:
        row = await (await conn.execute(STORED_ROW, (key,))).fetchone()
    assert row is not None and row["owner_id"] == ANONYMOUS_OWNER
    info = (await anonymous.get("/info")).json()
    assert info["capabilities"]["store"] is True
    assert info["config"]["database_configured"] is True
