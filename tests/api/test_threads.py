from __future__ import annotations

import uuid

import httpx
import pytest


async def create(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await client.post("/threads", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


async def test_create_and_get(client: httpx.AsyncClient) -> None:
    thread = await create(client, metadata={"topic": "x"})
    assert uuid.UUID(str(thread["thread_id"])).version == 4
    assert thread["status"] == "idle"
    assert thread["values"] == {}
    assert thread["interrupts"] == {}
    assert thread["metadata"] == {"topic": "x"}
    assert str(thread["updated_at"]).endswith("Z")
    fetched = await client.get(f"/threads/{thread['thread_id']}")
    assert fetched.status_code == 200
    assert fetched.json() == thread


async def test_create_with_client_id_and_if_exists(client: httpx.AsyncClient) -> None:
    tid = uuid.uuid4().hex
    first = await create(client, thread_id=tid, metadata={"n": 1})
    conflict = await client.post("/threads", json={"thread_id": tid})
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": f"Thread {tid} already exists"}
    assert await create(client, thread_id=tid, if_exists="do_nothing", metadata={"n": 2}) == first


async def test_patch_merges_metadata(client: httpx.AsyncClient) -> None:
    thread = await create(client, metadata={"a": 1, "b": 1})
    response = await client.patch(
        f"/threads/{thread['thread_id']}", json={"metadata": {"b": 2, "c": 3}}
    )
    assert response.status_code == 200
    assert response.json()["metadata"] == {"a": 1, "b": 2, "c": 3}


async def test_delete_then_not_found(client: httpx.AsyncClient) -> None:
    thread = await create(client)
    path = f"/threads/{thread['thread_id']}"
    assert (await client.delete(path)).json() == {}
    for response in (
        await client.get(path),
        await client.delete(path),
        await client.patch(path, json={"metadata": {}}),
        await client.get(f"{path}/state"),
        await client.get(f"{path}/history"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"Thread {thread['thread_id']} not found"}


async def test_search_filters_and_paginates(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex
    made = [await create(client, metadata={"tag": tag, "n": i, "deep": {"k": i}}) for i in range(4)]
    ids = [str(t["thread_id"]) for t in made]

    page = await client.post(
        "/threads/search", json={"metadata": {"tag": tag}, "limit": 3, "sort_order": "asc"}
    )
    assert [t["thread_id"] for t in page.json()] == ids[:3]
    assert page.headers["X-Pagination-Total"] == "4"
    assert page.headers["X-Pagination-Next"] == "3"

    by_ids = await client.post("/threads/search", json={"ids": [ids[1], ids[2], "missing"]})
    assert sorted(t["thread_id"] for t in by_ids.json()) == sorted(ids[1:3])

    nested = await client.post("/threads/search", json={"metadata": {"deep": {"k": 2}}})
    assert [t["thread_id"] for t in nested.json()] == [ids[2]]

    idle = await client.post("/threads/search", json={"metadata": {"tag": tag}, "status": "idle"})
    assert len(idle.json()) == 4
    busy = await client.post("/threads/search", json={"metadata": {"tag": tag}, "status": "busy"})
    assert busy.json() == []

    no_values = await client.post("/threads/search", json={"values": {"messages": []}})
    assert no_values.json() == []

    selected = await client.post(
        "/threads/search", json={"metadata": {"tag": tag}, "select": ["thread_id", "status"]}
    )
    assert all(set(t) == {"thread_id", "status"} for t in selected.json())

    count = await client.post("/threads/count", json={"metadata": {"tag": tag}})
    assert count.json() == 4
    assert (await client.post("/threads/count")).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (
            {"supersteps": [{"updates": []}]},
            501,
            "Creating a thread with supersteps is not supported",
        ),
        ({"ttl": {"ttl": 5}}, 501, "Thread TTL is not supported"),
        ({"metadata": "x"}, 422, "metadata: Input should be a valid dictionary"),
        ({"thread_id": ""}, 422, "thread_id: String should have at least 1 character"),
        ({"if_exists": 1}, 422, "if_exists: Input should be 'raise' or 'do_nothing'"),
    ],
)
async def test_create_rejections_store_nothing(
    client: httpx.AsyncClient, body: dict[str, object], status: int, detail: str
) -> None:
    before = (await client.post("/threads/count")).json()
    response = await client.post("/threads", json=body)
    assert response.status_code == status
    assert response.json() == {"detail": detail}
    assert (await client.post("/threads/count")).json() == before


async def test_state_of_a_thread_that_never_ran_is_empty(client: httpx.AsyncClient) -> None:
    thread = await create(client)
    state = (await client.get(f"/threads/{thread['thread_id']}/state")).json()
    assert state["values"] == {}
    assert state["next"] == []
    assert state["checkpoint"]["checkpoint_id"] is None
    assert (await client.get(f"/threads/{thread['thread_id']}/history")).json() == []
    assert (await client.post(f"/threads/{thread['thread_id']}/history", json={})).json() == []
