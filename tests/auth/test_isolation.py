"""One user against another's resources, through every endpoint that takes an id: always
the ordinary 404, and nothing changes. Runs against each storage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.auth.conftest import bearer
from tests.auth.tokens import hs256


@dataclass
class User:
    identity: str
    http: httpx.AsyncClient
    headers: dict[str, str]

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(method, path, headers=self.headers, **kwargs)

    async def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.call(method, path, **kwargs)
        assert response.status_code in (200, 204), (method, path, response.text)
        return response.json() if response.content else None


def make_user(http: httpx.AsyncClient) -> User:
    identity = str(uuid.uuid4())
    return User(identity, http, bearer(hs256(sub=identity, email=f"{identity}@example.com")))


@dataclass
class World:
    """Alice's resources, and Bob's own thread to aim her ids from."""

    alice: User
    bob: User
    assistant: str
    thread: str
    run: str
    checkpoint: str
    bob_thread: str

    def ids(self) -> dict[str, str]:
        return {
            "a": self.assistant,
            "t": self.thread,
            "r": self.run,
            "c": self.checkpoint,
            "bt": self.bob_thread,
        }


@pytest.fixture
async def world(app_http: httpx.AsyncClient) -> World:
    alice, bob = make_user(app_http), make_user(app_http)
    assistant = await alice.ok("POST", "/assistants", json={"graph_id": "demo", "name": "mine"})
    thread = await alice.ok("POST", "/threads", json={"metadata": {"tag": "alice"}})
    tid = thread["thread_id"]
    await alice.ok(
        "POST",
        f"/threads/{tid}/runs/wait",
        json={"assistant_id": assistant["assistant_id"], "input": {"notes": []}},
    )
    runs = await alice.ok("GET", f"/threads/{tid}/runs")
    state = await alice.ok("GET", f"/threads/{tid}/state")
    bob_thread = await bob.ok("POST", "/threads", json={})
    return World(
        alice=alice,
        bob=bob,
        assistant=assistant["assistant_id"],
        thread=tid,
        run=runs[0]["run_id"],
        checkpoint=state["checkpoint"]["checkpoint_id"],
        bob_thread=bob_thread["thread_id"],
    )


async def snapshot(world: World) -> dict[str, Any]:
    """Everything Alice can see of her resources."""
    alice, t = world.alice, world.thread
    return {
        "assistant": await alice.ok("GET", f"/assistants/{world.assistant}"),
        "thread": await alice.ok("GET", f"/threads/{t}"),
        "state": await alice.ok("GET", f"/threads/{t}/state"),
        "history": await alice.ok("GET", f"/threads/{t}/history"),
        "runs": await alice.ok("GET", f"/threads/{t}/runs"),
        "run": await alice.ok("GET", f"/threads/{t}/runs/{world.run}"),
    }


RUN = {"assistant_id": "demo", "input": {}}
ASSISTANT_404 = "Assistant {a} not found"
THREAD_404 = "Thread {t} not found"
RUN_404 = "Run {r} not found"

# (method, path, keyword arguments, expected detail); `{x}` are filled from World.ids().
MATRIX: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/assistants/{a}", {}, ASSISTANT_404),
    ("PATCH", "/assistants/{a}", {"json": {"metadata": {"x": 1}, "name": "b"}}, ASSISTANT_404),
    ("DELETE", "/assistants/{a}", {}, ASSISTANT_404),
    ("DELETE", "/assistants/{a}?delete_threads=true", {}, ASSISTANT_404),
    ("GET", "/assistants/{a}/schemas", {}, ASSISTANT_404),
    ("GET", "/assistants/{a}/graph", {}, ASSISTANT_404),
    ("GET", "/threads/{t}", {}, THREAD_404),
    ("PATCH", "/threads/{t}", {"json": {"metadata": {"x": 1}}}, THREAD_404),
    ("DELETE", "/threads/{t}", {}, THREAD_404),
    ("GET", "/threads/{t}/state", {}, THREAD_404),
    ("GET", "/threads/{t}/state/{c}", {}, THREAD_404),
    ("POST", "/threads/{t}/state/checkpoint", {"json": {"checkpoint": {}}}, THREAD_404),
    ("POST", "/threads/{t}/state", {"json": {"values": {"answer": "b"}}}, THREAD_404),
    ("GET", "/threads/{t}/history", {}, THREAD_404),
    ("POST", "/threads/{t}/history", {"json": {}}, THREAD_404),
    ("GET", "/threads/{t}/runs", {}, THREAD_404),
    ("POST", "/threads/{t}/runs", {"json": RUN}, THREAD_404),
    ("POST", "/threads/{t}/runs", {"json": {**RUN, "if_not_exists": "create"}}, THREAD_404),
    ("POST", "/threads/{t}/runs/stream", {"json": RUN}, THREAD_404),
    ("POST", "/threads/{t}/runs/wait", {"json": RUN}, THREAD_404),
    ("GET", "/threads/{t}/runs/{r}", {}, RUN_404),
    ("DELETE", "/threads/{t}/runs/{r}", {}, RUN_404),
    ("POST", "/threads/{t}/runs/{r}/cancel", {}, RUN_404),
    ("POST", "/threads/{t}/runs/{r}/cancel?wait=true&action=rollback", {}, RUN_404),
    ("GET", "/threads/{t}/runs/{r}/join", {}, RUN_404),
    ("GET", "/threads/{t}/runs/{r}/stream", {}, RUN_404),
    # Alice's run id through Bob's own thread.
    ("GET", "/threads/{bt}/runs/{r}", {}, RUN_404),
    ("DELETE", "/threads/{bt}/runs/{r}", {}, RUN_404),
    ("POST", "/threads/{bt}/runs/{r}/cancel", {}, RUN_404),
    ("GET", "/threads/{bt}/runs/{r}/join", {}, RUN_404),
    ("GET", "/threads/{bt}/runs/{r}/stream", {}, RUN_404),
    # Alice's private assistant run on Bob's thread, or statelessly.
    ("POST", "/threads/{bt}/runs", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
    ("POST", "/threads/{bt}/runs/stream", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
    ("POST", "/threads/{bt}/runs/wait", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
    ("POST", "/runs", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
    ("POST", "/runs/stream", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
    ("POST", "/runs/wait", {"json": {"assistant_id": "{a}"}}, ASSISTANT_404),
]


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "detail"),
    MATRIX,
    ids=[f"{m} {p}{' ' + str(k['json']) if 'json' in k else ''}" for m, p, k, _ in MATRIX],
)
async def test_foreign_id_is_not_found_and_nothing_changes(
    world: World, method: str, path: str, kwargs: dict[str, Any], detail: str
) -> None:
    ids = world.ids()
    before = await snapshot(world)
    response = await world.bob.call(method, fill(path, ids), **fill(kwargs, ids))
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": detail.format(**ids)}
    assert await snapshot(world) == before
    # Bob's own thread is untouched by requests aimed through it.
    assert (await world.bob.ok("GET", f"/threads/{world.bob_thread}"))["status"] == "idle"
    assert await world.bob.ok("GET", f"/threads/{world.bob_thread}/runs") == []


async def test_search_count_and_list_never_leak(world: World) -> None:
    bob, alice = world.bob, world.alice
    owned_by_alice = {"metadata": {"owner": alice.identity}}
    assert await bob.ok("POST", "/assistants/search", json=owned_by_alice) == []
    assert await bob.ok("POST", "/assistants/count", json=owned_by_alice) == 0
    found = await bob.ok("POST", "/assistants/search", json={"limit": 1000})
    assert {a["metadata"]["owner"] for a in found} <= {"system"}
    assert world.assistant not in {a["assistant_id"] for a in found}
    assert await bob.ok("POST", "/threads/search", json=owned_by_alice) == []
    assert await bob.ok("POST", "/threads/search", json={"ids": [world.thread]}) == []
    assert await bob.ok("POST", "/threads/search", json={"metadata": {"tag": "alice"}}) == []
    assert await bob.ok("POST", "/threads/count", json={"metadata": {"tag": "alice"}}) == 0
    everything = await bob.ok("POST", "/threads/search", json={"limit": 1000})
    assert [t["thread_id"] for t in everything] == [world.bob_thread]
    assert await bob.ok("POST", "/threads/count", json={}) == 1
    # Alice still sees hers through the same filters.
    assert len(await alice.ok("POST", "/threads/search", json={"ids": [world.thread]})) == 1
    assert await alice.ok("POST", "/assistants/count", json=owned_by_alice) == 1


async def test_system_assistants_are_readable_and_runnable_but_not_writable(
    world: World,
) -> None:
    bob = world.bob
    system = await bob.ok("GET", "/assistants/demo")
    assert system["metadata"]["owner"] == "system"
    detail = {"detail": f"Assistant {system['assistant_id']} not found"}
    for method, kwargs in (("PATCH", {"json": {"name": "mine now"}}), ("DELETE", {})):
        response = await bob.call(method, f"/assistants/{system['assistant_id']}", **kwargs)
        assert (response.status_code, response.json()) == (404, detail)
    result = await bob.ok(
        "POST",
        f"/threads/{world.bob_thread}/runs/wait",
        json={"assistant_id": "demo", "input": {"notes": []}},
    )
    assert "__interrupt__" in result
    assert await bob.ok("GET", "/assistants/demo") == system


async def test_same_client_id_cannot_take_over_a_thread(world: World) -> None:
    response = await world.bob.call("POST", "/threads", json={"thread_id": world.thread})
    assert response.status_code == 409
    adopted = await world.bob.call(
        "POST", "/threads", json={"thread_id": world.thread, "if_exists": "do_nothing"}
    )
    assert adopted.status_code == 409
    assert (await world.alice.ok("GET", f"/threads/{world.thread}"))["metadata"][
        "owner"
    ] == world.alice.identity


async def test_store_items_are_per_user(world: World) -> None:
    alice, bob = world.alice, world.bob
    item = {"namespace": ["notes", "private"], "key": "k1", "value": {"secret": "alice"}}
    put = await alice.call("PUT", "/store/items", json=item)
    assert put.status_code in (200, 204), put.text
    query = {"namespace": "notes.private", "key": "k1"}
    missing = await bob.call("GET", "/store/items", params=query)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Item not found"})
    assert (await bob.ok("POST", "/store/items/search", json={}))["items"] == []
    assert (await bob.ok("POST", "/store/namespaces", json={}))["namespaces"] == []
    await bob.call("DELETE", "/store/items", json={"namespace": ["notes", "private"], "key": "k1"})
    await bob.ok("PUT", "/store/items", json={**item, "value": {"secret": "bob"}})
    mine = await alice.ok("GET", "/store/items", params=query)
    assert mine["value"] == {"secret": "alice"}
    assert (await bob.ok("GET", "/store/items", params=query))["value"] == {"secret": "bob"}
