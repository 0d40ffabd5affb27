from __future__ import annotations

import httpx
import pytest

from agent_runtime import __version__


async def test_root(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.json() == {
        "service": "agent-runtime",
        "runtime": "python",
        "version": __version__,
    }


async def test_health_and_ok(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "persistence": "memory"}
    assert (await client.get("/ok")).json() == {"ok": True}


async def test_info_reflects_configuration(client: httpx.AsyncClient) -> None:
    info = (await client.get("/info")).json()
    assert info["runtime"] == "python"
    assert info["version"] == __version__
    assert info["graphs"] == ["agent"]
    assert info["config"] == {
        "supabase_configured": False,
        "database_configured": False,
        "llm_configured": False,
    }
    assert info["build"]["python"].startswith("3.")
    assert info["capabilities"]["metrics"] is True


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    await client.get("/ok")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "agent_runtime_http_requests_total" in response.text


async def test_request_id_is_generated_or_echoed(client: httpx.AsyncClient) -> None:
    generated = await client.get("/ok")
    assert len(generated.headers["X-Request-Id"]) == 36
    echoed = await client.get("/ok", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["X-Request-Id"] == "abc-123"


async def test_docs_render_from_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    bundle = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.content) > 100_000


async def test_cors_exposes_location_and_pagination_headers(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/threads/search", json={}, headers={"Origin": "http://ui.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = response.headers["access-control-expose-headers"]
    for header in ("Content-Location", "Location", "X-Pagination-Total", "X-Pagination-Next"):
        assert header in exposed


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        ("GET", "/nowhere", 404, "Not found"),
        ("DELETE", "/ok", 405, "Method not allowed"),
        ("PUT", "/assistants/search", 405, "Method not allowed"),
    ],
)
async def test_unknown_routes_and_methods(
    client: httpx.AsyncClient, method: str, path: str, status: int, detail: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert response.json() == {"detail": detail}


OBJECT_EXPECTED = "body: Input should be a valid dictionary or object to extract fields from"


@pytest.mark.parametrize(
    "path", ["/assistants", "/threads", "/threads/search", "/assistants/count"]
)
@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"{not json", "Invalid JSON in request body"),
        (b"[1, 2]", OBJECT_EXPECTED),
        (b'"text"', OBJECT_EXPECTED),
        (b"42", OBJECT_EXPECTED),
    ],
)
async def test_malformed_bodies_are_422(
    client: httpx.AsyncClient, path: str, content: bytes, detail: str
) -> None:
    response = await client.post(
        path, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {"detail": detail}


async def test_null_body_means_no_filter_for_search_but_is_invalid_for_create(
    client: httpx.AsyncClient,
) -> None:
    json_null = {"content": b"null", "headers": {"Content-Type": "application/json"}}
    assert (await client.post("/threads/search", **json_null)).status_code == 200  # type: ignore[arg-type]
    created = await client.post("/assistants", **json_null)  # type: ignore[arg-type]
    assert created.status_code == 422
    assert created.json() == {"detail": OBJECT_EXPECTED}
