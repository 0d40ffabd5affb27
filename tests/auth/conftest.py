from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.app import create_app
from agent_runtime.config import Settings
from tests.auth.fake_supabase import FakeSupabase
from tests.auth.tokens import SECRET

TESTS = Path(__file__).resolve().parents[1]
GRAPHS = {
    "demo": f"{TESTS / 'graphs' / 'demo.py'}:graph",
    "whoami": f"{TESTS / 'auth' / 'graphs.py'}:whoami",
}


def auth_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "openai_api_key": None,
        "supabase_jwt_secret": SECRET,
        "AGENT_RUNTIME_GRAPHS": GRAPHS,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with its lifespan run; requests carry no token unless given."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def fake_supabase() -> Iterator[FakeSupabase]:
    with FakeSupabase() as fake:
        yield fake


@pytest.fixture
def supabase(fake_supabase: FakeSupabase) -> FakeSupabase:
    fake_supabase.reset()
    return fake_supabase


@pytest.fixture(params=["memory", "postgres"])
def storage_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings selecting each storage."""
    if request.param == "memory":
        return {}
    return {"database_url": request.getfixturevalue("database_url")}


@pytest.fixture
async def app_http(storage_settings: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(auth_settings(**storage_settings)) as http:
        if storage_settings:
            health = (await http.get("/health")).json()
            assert health.get("persistence") == "postgres", health
        yield http


UserClient = Callable[[str], httpx.AsyncClient]
