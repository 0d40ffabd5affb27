from __future__ import annotations

import uuid

import httpx
import pytest

SYSTEM_AGENT_ID = str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "agent"))


async def create(client: httpx.AsyncClient, **body: object) -> dict[str, object]:
    response = await client.post("/assistants", json={"graph_id": "agent", **body})
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data


async def test_system_assistant_exists_per_graph(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/assistants/{SYSTEM_AGENT_ID}")
    assert response.status_code == 200
    body = response.json()
    assert body["graph_id"] == "agent"
    assert body["name"] == "agent"
    assert body["metadata"] == {"created_by": "system", "owner": "system"}
    by_graph_id = await client.get("/assistants/agent")
    assert by_graph_id.json() == body


async def test_create_returns_full_assistant(client: httpx.AsyncClient) -> None:
    body = await create(
        client,
        name="helper",
        description="d",
        config={"configurable": {"model_name": "openai:gpt-4o-mini"}, "tags": ["x"]},
        context={"k": 1},
        metadata={"team": "a"},
    )
    assert uuid.UUID(str(body["assistant_id"])).version == 4
    assert body["version"] == 1
    assert body["config"] == {
        "tags": ["x"],
        "configurable": {"model_name": "openai:gpt-4o-mini"},
    }
    assert body["context"] == {"k": 1}
    assert body["metadata"] == {"team": "a"}
    assert str(body["created_at"]).endswith("Z")
    fetched = await client.get(f"/assistants/{body['assistant_id']}")
    assert fetched.json() == body


async def test_create_with_client_id_and_if_exists(client: httpx.AsyncClient) -> None:
    hex_id = uuid.uuid4().hex
    first = await create(client, assistant_id=hex_id, name="one")
    assert first["assistant_id"] == hex_id
    again = await client.post("/assistants", json={"graph_id": "agent", "assistant_id": hex_id})
    assert again.status_code == 409
    assert again.json() == {"detail": f"Assistant {hex_id} already exists"}
    same = await create(client, assistant_id=hex_id, if_exists="do_nothing", name="two")
    assert same == first


async def test_unknown_graph_is_rejected_with_known_ids(client: httpx.AsyncClient) -> None:
    response = await client.post("/assistants", json={"graph_id": "nope"})
    assert response.status_code == 422
    assert response.json() == {"detail": "graph_id: Graph 'nope' not found. Known graphs: agent"}
    count = await client.post("/assistants/count", json={"graph_id": "nope"})
    assert count.json() == 0


async def test_patch_merges_metadata_replaces_config_and_bumps_version(
    client: httpx.AsyncClient,
) -> None:
    body = await create(
        client, metadata={"a": 1, "b": 2}, config={"configurable": {"temperature": 0.1}}
    )
    response = await client.patch(
        f"/assistants/{body['assistant_id']}",
        json={"metadata": {"b": 3, "c": 4}, "config": {"tags": ["t"]}, "name": "renamed"},
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["metadata"] == {"a": 1, "b": 3, "c": 4}
    assert patched["config"] == {"tags": ["t"]}
    assert patched["name"] == "renamed"
    assert patched["version"] == 2
    assert patched["created_at"] == body["created_at"]
    assert patched["updated_at"] >= body["updated_at"]
    again = await client.patch(f"/assistants/{body['assistant_id']}", json={})
    assert again.json()["version"] == 3


async def test_delete_then_not_found(client: httpx.AsyncClient) -> None:
    body = await create(client)
    path = f"/assistants/{body['assistant_id']}"
    deleted = await client.delete(path)
    assert deleted.status_code == 200
    assert deleted.json() == {}
    for response in (
        await client.get(path),
        await client.delete(path),
        await client.patch(path, json={"name": "x"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": f"Assistant {body['assistant_id']} not found"}


async def test_delete_threads_removes_the_assistants_threads(client: httpx.AsyncClient) -> None:
    body = await create(client)
    aid = body["assistant_id"]
    thread = (await client.post("/threads", json={"metadata": {"assistant_id": aid}})).json()
    other = (await client.post("/threads", json={"metadata": {"assistant_id": "x"}})).json()
    response = await client.delete(f"/assistants/{aid}", params={"delete_threads": "true"})
    assert response.status_code == 200
    assert (await client.get(f"/threads/{thread['thread_id']}")).status_code == 404
    assert (await client.get(f"/threads/{other['thread_id']}")).status_code == 200


async def test_search_filters_sorts_and_paginates(client: httpx.AsyncClient) -> None:
    tag = uuid.uuid4().hex
    made = [await create(client, name=f"bot-{i}", metadata={"tag": tag, "i": i}) for i in range(5)]

    response = await client.post(
        "/assistants/search",
        json={
            "metadata": {"tag": tag},
            "limit": 2,
            "offset": 0,
            "sort_by": "name",
            "sort_order": "asc",
        },
    )
    assert response.status_code == 200
    assert [a["name"] for a in response.json()] == ["bot-0", "bot-1"]
    assert response.headers["X-Pagination-Total"] == "5"
    assert response.headers["X-Pagination-Next"] == "2"

    last = await client.post(
        "/assistants/search",
        json={"metadata": {"tag": tag}, "limit": 2, "offset": 4, "sort_by": "name"},
    )
    assert [a["name"] for a in last.json()] == ["bot-0"]
    assert "X-Pagination-Next" not in last.headers

    by_name = await client.post("/assistants/search", json={"name": "BOT-3"})
    assert [a["assistant_id"] for a in by_name.json()] == [made[3]["assistant_id"]]

    nested = await client.post("/assistants/search", json={"metadata": {"tag": tag, "i": 4}})
    assert [a["assistant_id"] for a in nested.json()] == [made[4]["assistant_id"]]

    newest_first = await client.post("/assistants/search", json={"metadata": {"tag": tag}})
    assert newest_first.json()[0]["assistant_id"] == made[-1]["assistant_id"]

    selected = await client.post(
        "/assistants/search", json={"metadata": {"tag": tag}, "select": ["assistant_id", "name"]}
    )
    assert all(set(a) == {"assistant_id", "name"} for a in selected.json())

    count = await client.post("/assistants/count", json={"metadata": {"tag": tag}})
    assert count.status_code == 200
    assert count.json() == 5


async def test_search_without_body_lists_system_assistant(client: httpx.AsyncClient) -> None:
    response = await client.post("/assistants/search")
    assert response.status_code == 200
    assert SYSTEM_AGENT_ID in [a["assistant_id"] for a in response.json()]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({}, "graph_id: Required"),
        ({"graph_id": 5}, "graph_id: Input should be a valid string"),
        (
            {"graph_id": "agent", "if_exists": "maybe"},
            "if_exists: Input should be 'raise' or 'do_nothing'",
        ),
        ({"graph_id": "agent", "metadata": []}, "metadata: Input should be a valid dictionary"),
        (
            {"graph_id": "agent", "assistant_id": "x" * 256},
            "assistant_id: String should have at most 255 characters",
        ),
        (
            {"graph_id": "agent", "name": "n" * 5000},
            "name: String should have at most 1000 characters",
        ),
        (
            {"graph_id": "agent", "config": {"recursion_limit": "many"}},
            "config.recursion_limit: Input should be a valid integer, "
            "unable to parse string as an integer",
        ),
    ],
)
async def test_create_bad_input_is_422_and_stores_nothing(
    client: httpx.AsyncClient, body: dict[str, object], detail: str
) -> None:
    before = (await client.post("/assistants/count", json={})).json()
    response = await client.post("/assistants", json=body)
    assert response.status_code == 422
    assert response.json() == {"detail": detail}
    assert (await client.post("/assistants/count", json={})).json() == before


@pytest.mark.parametrize(
    "body",
    [{"limit": 0}, {"limit": 1001}, {"offset": -1}, {"sort_by": "color"}, {"sort_order": "up"}],
)
async def test_search_bad_paging_or_sort_is_422(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.post("/assistants/search", json=body)
    assert response.status_code == 422
    assert next(iter(body)) in response.json()["detail"]


async def test_schemas_serve_the_config_ui_metadata(client: httpx.AsyncClient) -> None:
    response = await client.get("/assistants/agent/schemas")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "graph_id",
        "input_schema",
        "output_schema",
        "state_schema",
        "config_schema",
        "context_schema",
    }
    assert body["graph_id"] == "agent"
    properties = body["config_schema"]["properties"]
    model = properties["model_name"]
    assert model["default"] == "openai:gpt-4o"
    assert model["x_oap_ui_config"]["type"] == "select"
    options = {o["value"] for o in model["x_oap_ui_config"]["options"]}
    assert {"anthropic:claude-sonnet-4-0", "openai:gpt-4o-mini", "custom:"} <= options
    assert properties["temperature"]["x_oap_ui_config"]["type"] == "slider"
    for name in ("system_prompt", "max_tokens", "base_url", "custom_model_name", "custom_api_key"):
        assert "x_oap_ui_config" in properties[name], name
    assert "messages" in body["input_schema"]["properties"]
    missing = await client.get("/assistants/nope/schemas")
    assert missing.status_code == 404


async def test_graph_drawing_lists_nodes(client: httpx.AsyncClient) -> None:
    response = await client.get("/assistants/agent/graph")
    assert response.status_code == 200
    nodes = {n["id"] for n in response.json()["nodes"]}
    assert {"__start__", "model", "__end__"} <= nodes
