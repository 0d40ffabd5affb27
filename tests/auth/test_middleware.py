"""The authentication gate as a client sees it: status, body and headers."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from tests.auth.conftest import auth_settings, bearer, serve
from tests.auth.fake_supabase import FakeSupabase
from tests.auth.tokens import SigningKey, hs256, unsigned

PUBLIC = ["/", "/health", "/ok", "/info", "/openapi.json", "/docs", "/metrics", "/ok/", "/info/"]


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with serve(auth_settings()) as client:
        yield client


@pytest.mark.parametrize("path", PUBLIC)
async def test_public_paths_need_no_token(http: httpx.AsyncClient, path: str) -> None:
    # With a trailing slash the router answers with its usual redirect, not a 401.
    redirected = path.endswith("/") and path != "/"
    assert (await http.get(path)).status_code == (307 if redirected else 200)


async def test_docs_assets_are_public(http: httpx.AsyncClient) -> None:
    assert (await http.get("/docs-assets/swagger-ui.css")).status_code == 200


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "Authorization header missing"),
        ({"Authorization": ""}, "Invalid authorization header format"),
        ({"Authorization": "Bearer"}, "Invalid authorization header format"),
        ({"Authorization": "Bearer "}, "Invalid authorization header format"),
        ({"Authorization": "Token abc"}, "Invalid authorization header format"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Invalid authorization header format"),
        ({"Authorization": "Bearer a b"}, "Invalid authorization header format"),
        ({"Authorization": hs256()}, "Invalid authorization header format"),
        ({"Authorization": "Bearer garbage"}, "Invalid token"),
        ({"Authorization": "Bearer a.b.c"}, "Invalid token"),
        ({"Authorization": "Bearer ..."}, "Invalid token"),
        (bearer(unsigned()), "Token algorithm not allowed"),
        (bearer(hs256(exp=1)), "Token expired"),
        (bearer(hs256(secret="wrong-secret-wrong-secret-wrong-secret")), "Invalid token signature"),
        (bearer(hs256(sub=None)), "Token has no 'sub' claim"),
    ],
    ids=[
        "no-header",
        "empty",
        "bearer-alone",
        "bearer-space",
        "other-scheme",
        "basic",
        "three-parts",
        "no-scheme",
        "garbage",
        "junk-segments",
        "dots-only",
        "alg-none",
        "expired",
        "wrong-secret",
        "missing-sub",
    ],
)
async def test_protected_paths_refuse(
    http: httpx.AsyncClient, headers: dict[str, str], detail: str
) -> None:
    for method, path in (("GET", "/threads/x"), ("POST", "/threads/search"), ("GET", "/nope")):
        response = await http.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": detail}
        assert response.headers["www-authenticate"] == "Bearer"


async def test_duplicate_authorization_headers_are_refused(http: httpx.AsyncClient) -> None:
    token = hs256()
    headers = [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")]
    response = await http.get("/threads/x", headers=headers)
    assert response.json() == {"detail": "Invalid authorization header format"}


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_scheme_is_case_insensitive(http: httpx.AsyncClient, scheme: str) -> None:
    headers = {"Authorization": f"{scheme} {hs256()}"}
    response = await http.post("/threads", json={}, headers=headers)
    assert response.status_code == 200


async def test_cors_preflight_and_401_carry_cors_headers(http: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://app.example.com"}
    preflight = await http.options(
        "/threads",
        headers={**origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    refused = await http.get("/threads/x", headers=origin)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"


async def test_owner_is_stamped_from_the_token(http: httpx.AsyncClient) -> None:
    sub = str(uuid.uuid4())
    headers = bearer(hs256(sub=sub))
    thread = await http.post("/threads", json={"metadata": {"owner": "mallory"}}, headers=headers)
    assert thread.json()["metadata"]["owner"] == sub
    made = await http.post(
        "/assistants",
        json={"graph_id": "demo", "metadata": {"owner": "mallory", "k": 1}},
        headers=headers,
    )
    assert made.json()["metadata"] == {"owner": sub, "k": 1}
    patched = await http.patch(
        f"/assistants/{made.json()['assistant_id']}",
        json={"metadata": {"owner": "mallory"}},
        headers=headers,
    )
    assert patched.json()["metadata"]["owner"] == sub


async def test_info_reports_the_mode(http: httpx.AsyncClient) -> None:
    assert (await http.get("/info")).json()["config"]["supabase_configured"] is True


async def test_graph_config_names_the_caller(http: httpx.AsyncClient) -> None:
    sub = str(uuid.uuid4())
    token = hs256(sub=sub, email="who@example.com", user_metadata={"team": "a"})
    spoof = {"langgraph_auth_user": {"identity": "mallory"}, "owner": "mallory"}
    response = await http.post(
        "/runs/wait",
        json={"assistant_id": "whoami", "input": {}, "config": {"configurable": spoof}},
        headers=bearer(token),
    )
    assert response.status_code == 200, response.text
    assert response.json()["caller"] == {
        "owner": sub,
        "user_id": sub,
        "langgraph_auth_user": {
            "identity": sub,
            "email": "who@example.com",
            "metadata": {"team": "a"},
        },
        "langgraph_auth_user_id": sub,
        "token": token,
    }


async def test_disabled_mode_serves_everyone_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = auth_settings(supabase_jwt_secret=None)
    with caplog.at_level(logging.WARNING):
        async with serve(settings) as http:
            assert (await http.get("/info")).json()["config"]["supabase_configured"] is False
            made = await http.post("/threads", json={"metadata": {"owner": "anyone"}})
            assert made.status_code == 200
            assert made.json()["metadata"] == {"owner": "anyone"}
            bogus = await http.get(
                f"/threads/{made.json()['thread_id']}", headers=bearer("garbage")
            )
            assert bogus.status_code == 200
            result = await http.post(
                "/runs/wait",
                json={
                    "assistant_id": "whoami",
                    "input": {},
                    "config": {"configurable": {"langgraph_auth_user": {"identity": "x"}}},
                },
            )
            assert result.json()["caller"]["langgraph_auth_user"] is None
            assert result.json()["caller"]["owner"] is None
    warnings = [r for r in caplog.records if "authentication disabled" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


async def test_jwks_project_through_the_app(supabase: FakeSupabase) -> None:
    key = SigningKey("EC")
    supabase.jwks = [key.jwk]
    settings = auth_settings(
        supabase_jwt_secret=None, supabase_url=supabase.url, supabase_key="anon"
    )
    async with serve(settings) as http:
        sub = str(uuid.uuid4())
        made = await http.post("/threads", json={}, headers=bearer(key.sign(sub=sub)))
        assert made.json()["metadata"]["owner"] == sub
        forged = SigningKey("EC", kid=key.kid).sign(sub=sub)
        response = await http.get(f"/threads/{made.json()['thread_id']}", headers=bearer(forged))
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid token signature"}


async def test_supabase_get_user_through_the_app(supabase: FakeSupabase) -> None:
    settings = auth_settings(
        supabase_jwt_secret=None, supabase_url=supabase.url, supabase_key="anon"
    )
    token = hs256(secret="project-secret-not-given-to-the-runtime")
    sub = str(uuid.uuid4())
    supabase.add_user(token, sub, "u@example.com")
    async with serve(settings) as http:
        for _ in range(3):
            made = await http.post("/threads", json={}, headers=bearer(token))
            assert made.json()["metadata"]["owner"] == sub
        unknown = await http.post("/threads", json={}, headers=bearer(hs256()))
        assert unknown.status_code == 401
        assert unknown.json() == {"detail": "Invalid token"}
    assert supabase.hits["/auth/v1/user"] == 2
