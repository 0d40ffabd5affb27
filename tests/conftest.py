from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from agent_runtime.app import create_app
from agent_runtime.config import Settings
from tests.support.postgres import create_database, drop_database


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, openai_api_key=None)  # type: ignore[call-arg]


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process with its lifespan run, reached through httpx's ASGI transport."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the whole session, dropped at the end."""
    name, dsn = create_database()
    try:
        yield dsn
    finally:
        drop_database(name)


@pytest.fixture
def fresh_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test (migrations, restarts, concurrent starts)."""
    name, dsn = create_database()
    try:
        yield dsn
    finally:
        drop_database(name)
