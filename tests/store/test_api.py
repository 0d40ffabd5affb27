"""The Store API in-process: request shapes, validation errors and owner scoping."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from agent_runtime.store_namespace import CATEGORY_CONTEXT


async def put(client: httpx.AsyncClient, namespace: list[str], key: str, value: Any) -> None:
    response = await client.put(
        "/store/items", json={"namespace": namespace, "key": key, "value": value}
    )
    assert response.status_code == 204, response.text
    assert response.content == b""


async def test_item_round_trip(client: httpx.AsyncClient) -> None:
    await put(client, ["org", "u1", "a1", CATEGORY_CONTEXT], "tone", {"style": "brief"})

    response = await client.get(
        "/store/items", params={"namespace": "org.u1.a1.context", "key": "tone"}
    )
    assert response.status_code == 200
    item = response.json()
    assert item["namespace"] == ["org", "u1", "a1", "context"]
    assert item["key"] == "tone"
    assert item["value"] == {"style": "brief"}
    assert item["created_at"].endswith("Z") and item["updated_at"].endswith("Z")

    as_json = await client.get(
        "/store/items",
        params={"namespace": json.dumps(["org", "u1", "a1", "context"]), "key": "tone"},
    )
    assert as_json.json() == item
    repeated = await client.get(
        "/store/items?namespace=org&namespace=u1&namespace=a1&namespace=context&key=tone"
    )
    assert repeated.json() == item


async def test_delete_by_body_or_query(client: httpx.AsyncClient) -> None:
    await put(client, ["d", "one"], "k", {"v": 1})
    await put(client, ["d", "two"], "k", {"v": 2})
    by_body = await client.request(
        "DELETE", "/store/items", json={"namespace": ["d", "one"], "key": "k"}
    )
    assert by_body.status_code == 204
    by_query = await client.delete("/store/items", params={"namespace": "d.two", "key": "k"})
    assert by_query.status_code == 204
    for namespace in ("d.one", "d.two"):
        missing = await client.get("/store/items", params={"namespace": namespace, "key": "k"})
        assert missing.status_code == 404
        assert missing.json() == {"detail": "Item not found"}
    again = await client.delete("/store/items", params={"namespace": "d.two", "key": "k"})
    assert again.status_code == 204


async def test_search_and_namespaces(client: httpx.AsyncClient) -> None:
    await put(client, ["s", "a"], "one", {"n": 1, "text": "Hello"})
    await put(client, ["s", "b"], "two", {"n": 2, "text": "world"})
    await put(client, ["t"], "three", {"n": 3})

    found = await client.post(
        "/store/items/search", json={"namespace_prefix": ["s"], "filter": {"n": {"$gte": 2}}}
    )
    assert [item["key"] for item in found.json()["items"]] == ["two"]
    legacy = await client.post("/store/items/search", json={"namespace": ["s"], "query": "HELLO"})
    assert [item["key"] for item in legacy.json()["items"]] == ["one"]
    limited = await client.post("/store/items/search", json={"limit": 1})
    assert [item["key"] for item in limited.json()["items"]] == ["three"]

    listed = await client.post("/store/namespaces", json={"prefix": ["s"]})
    assert listed.json() == {"namespaces": [["s", "a"], ["s", "b"]]}
    truncated = await client.post("/store/namespaces", json={"max_depth": 1})
    assert truncated.json() == {"namespaces": [["s"], ["t"]]}
    by_query = await client.get("/store/namespaces", params={"suffix": "*.b"})
    assert by_query.json() == [["s", "b"]]
    by_json = await client.get(
        "/store/namespaces", params={"prefix": '["s"]', "limit": 1, "offset": 1}
    )
    assert by_json.json() == [["s", "b"]]


BAD_PUTS: list[tuple[Any, str]] = [
    ({"namespace": ["a.b"], "key": "k", "value": {}}, "namespace.0"),
    ({"namespace": ["a", ""], "key": "k", "value": {}}, "namespace.1"),
    ({"namespace": [], "key": "k", "value": {}}, "namespace"),
    ({"namespace": "a", "key": "k", "value": {}}, "namespace"),
    ({"namespace": ["a"], "key": "", "value": {}}, "key"),
    ({"namespace": ["a"], "value": {}}, "key: Required"),
    ({"namespace": ["a"], "key": "k", "value": [1, 2]}, "value"),
    ({"namespace": ["a"], "key": "k", "value": "text"}, "value"),
    ({"namespace": ["a"], "key": "k"}, "value: Required"),
    ([1, 2], "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PUTS, ids=[f for _, f in BAD_PUTS])
async def test_bad_put_is_422_naming_the_field(
    client: httpx.AsyncClient, body: Any, field: str
) -> None:
    response = await client.put("/store/items", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]


async def test_unparseable_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/store/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid JSON in request body"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"namespace": "a..b", "key": "k"}, "namespace"),
        ({"namespace": '["a.b"]', "key": "k"}, "namespace"),
        ({"namespace": "[1]", "key": "k"}, "namespace"),
        ({"namespace": "", "key": "k"}, "namespace"),
        ({"namespace": "a"}, "key: Required"),
        ({"key": "k"}, "namespace: Required"),
    ],
)
async def test_bad_get_is_422_naming_the_field(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/store/items", params=params)
    assert response.status_code == 422
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filter": {"n": {"$regex": "x"}}}, "filter"),
        ({"filter": {"n": {"$gt": None}}}, "filter"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"namespace_prefix": ["a.b"]}, "namespace_prefix.0"),
    ],
)
async def test_bad_search_is_422_naming_the_field(
    client: httpx.AsyncClient, body: Any, field: str
) -> None:
    response = await client.post("/store/items/search", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"]


async def test_bad_namespace_listing_is_422(client: httpx.AsyncClient) -> None:
    bad_body = await client.post("/store/namespaces", json={"max_depth": 0})
    assert bad_body.status_code == 422 and "max_depth" in bad_body.json()["detail"]
    bad_query = await client.get("/store/namespaces", params={"prefix": '["a.b"]'})
    assert bad_query.status_code == 422 and "prefix" in bad_query.json()["detail"]


async def test_ttl_is_refused_rather_than_ignored(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/store/items", json={"namespace": ["a"], "key": "k", "value": {}, "ttl": 5}
    )
    assert response.status_code == 501
    assert "TTL" in response.json()["detail"]


async def test_operations_are_documented(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operations = {
        (path, method): op["operationId"]
        for path, methods in spec["paths"].items()
        if path.startswith("/store")
        for method, op in methods.items()
    }
    assert operations == {
        ("/store/items", "get"): "getStoreItem",
        ("/store/items", "put"): "putStoreItem",
        ("/store/items", "delete"): "deleteStoreItem",
        ("/store/items/search", "post"): "searchStoreItems",
        ("/store/namespaces", "post"): "listStoreNamespaces",
        ("/store/namespaces", "get"): "listStoreNamespacesByQuery",
    }


async def test_info_reports_the_store(client: httpx.AsyncClient) -> None:
    info = (await client.get("/info")).json()
    assert info["capabilities"]["store"] is True
    assert info["config"]["database_configured"] is False
    assert info["config"]["supabase_configured"] is False
