"""The store graphs see: the same items as the Store API, as the owner of the run."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langgraph.store.base import GetOp, ListNamespacesOp, MatchCondition, PutOp, SearchOp

from agent_runtime.app import create_app
from agent_runtime.config import Settings
from agent_runtime.storage.base import ANONYMOUS_OWNER
from agent_runtime.storage.memory_store import MemoryStoreItems
from agent_runtime.store import RuntimeStore, StoreOwnerError

MEMORY_GRAPH = Path(__file__).resolve().parents[1] / "graphs" / "memory.py"
SECRET = "runtime-store-secret-with-32-bytes-or-more"


async def as_run_of(owner: str | None, call: Any) -> Any:
    """Await `call()` inside a runnable whose config names `owner`, as a graph node would."""
    config: RunnableConfig = {"configurable": {"owner": owner} if owner else {}}

    async def body(_: Any) -> Any:
        return await call()

    return await RunnableLambda(body).ainvoke(None, config)


async def test_without_auth_every_run_is_the_anonymous_owner() -> None:
    items = MemoryStoreItems()
    store = RuntimeStore(items, per_user=False)
    await as_run_of("u-1", lambda: store.aput(("n",), "k", {"v": 1}))
    assert await items.get(ANONYMOUS_OWNER, ("n",), "k") is not None
    assert await items.get("u-1", ("n",), "k") is None


async def test_with_auth_items_belong_to_the_run_owner() -> None:
    items = MemoryStoreItems()
    store = RuntimeStore(items, per_user=True)
    await as_run_of("u-1", lambda: store.aput(("n",), "k", {"v": 1}))
    await as_run_of("u-2", lambda: store.aput(("n",), "k", {"v": 2}))
    one = await as_run_of("u-1", lambda: store.aget(("n",), "k"))
    assert one.value == {"v": 1}
    stored = await items.get("u-2", ("n",), "k")
    assert stored is not None and stored.value == {"v": 2}
    with pytest.raises(StoreOwnerError):
        await store.aget(("n",), "k")


async def test_batch_runs_every_kind_of_op_in_order() -> None:
    store = RuntimeStore(MemoryStoreItems(), per_user=False)
    results = await store.abatch(
        [
            PutOp(("org", "u", "a"), "k1", {"n": 1}),
            PutOp(("org", "u", "b"), "k2", {"n": 2}),
            GetOp(("org", "u", "a"), "k1"),
            SearchOp(("org",), filter={"n": {"$gt": 1}}),
            ListNamespacesOp(
                (MatchCondition("prefix", ("org", "*")), MatchCondition("suffix", ("b",)))
            ),
            PutOp(("org", "u", "a"), "k1", None),
            GetOp(("org", "u", "a"), "k1"),
        ]
    )
    assert results[2] is not None and results[2].value == {"n": 1}  # type: ignore[union-attr]
    assert [item.key for item in results[3]] == ["k2"]  # type: ignore[union-attr]
    assert results[4] == [("org", "u", "b")]
    assert results[6] is None


async def test_labels_with_dots_are_refused() -> None:
    store = RuntimeStore(MemoryStoreItems(), per_user=False)
    with pytest.raises(ValueError, match="periods"):
        await store.abatch([GetOp(("a.b",), "k")])


async def test_sync_calls_work_from_threads_but_never_block_the_loop() -> None:
    store = RuntimeStore(MemoryStoreItems(), per_user=False)
    await asyncio.to_thread(store.put, ("n",), "k", {"v": 1})
    got = await asyncio.to_thread(store.get, ("n",), "k")
    assert got is not None and got.value == {"v": 1}
    with pytest.raises(RuntimeError, match="block the event loop"):
        store.get(("n",), "k")


def bearer(subject: str) -> dict[str, str]:
    now = int(time.time())
    token = jwt.encode({"sub": subject, "iat": now, "exp": now + 600}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def authed() -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        openai_api_key=None,
        supabase_jwt_secret=SECRET,
        graphs={"memory": f"{MEMORY_GRAPH}:graph"},
    )
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


async def remember(http: httpx.AsyncClient, user: str, body: dict[str, Any]) -> Any:
    headers = bearer(user)
    thread = (await http.post("/threads", json={}, headers=headers)).json()
    response = await http.post(
        f"/threads/{thread['thread_id']}/runs/wait", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_graph_store_is_scoped_to_the_authenticated_user(authed: httpx.AsyncClient) -> None:
    org = f"org-{uuid.uuid4().hex}"
    alice, bob = f"alice-{uuid.uuid4().hex}", f"bob-{uuid.uuid4().hex}"
    run: dict[str, Any] = {
        "assistant_id": "memory",
        "config": {"configurable": {"supabase_organization_id": org}},
    }
    said = await remember(authed, alice, {**run, "input": {"remember": "alice's secret"}})
    assert said["memories"] == ["alice's secret"]

    # Bob claims to be Alice in his config; the runtime replaces the owner with his identity.
    impostor = {
        **run,
        "config": {"configurable": {"supabase_organization_id": org, "owner": alice}},
    }
    heard = await remember(authed, bob, {**impostor, "input": {}})
    assert heard["memories"] == []

    mine = await authed.post(
        "/store/items/search", json={"namespace": [org]}, headers=bearer(alice)
    )
    assert [item["value"] for item in mine.json()["items"]] == [{"text": "alice's secret"}]
    assert mine.json()["items"][0]["namespace"][1] == alice
    theirs = await authed.post(
        "/store/items/search", json={"namespace": [org]}, headers=bearer(bob)
    )
    assert theirs.json() == {"items": []}
