from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from agent_runtime.storage.base import StoreRepository
from agent_runtime.storage.memory_store import MemoryStoreItems
from agent_runtime.storage.postgres.connection import Pool, open_pool
from agent_runtime.storage.postgres.migrations import migrate
from agent_runtime.storage.postgres.store import PostgresStoreItems


@pytest.fixture(scope="session")
async def store_pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on the session's database, migrated by the runtime's own start-up code."""
    async with open_pool(
        database_url, min_size=1, max_size=4, checkout_timeout=10, connect_timeout=5
    ) as pool:
        await migrate(pool)
        yield pool


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def repository(request: pytest.FixtureRequest) -> StoreRepository:
    if request.param == "memory":
        return MemoryStoreItems()
    return PostgresStoreItems(request.getfixturevalue("store_pool"))


@pytest.fixture
def owner() -> str:
    """A fresh owner per test, so tests sharing a database never see each other's items."""
    return f"owner-{uuid.uuid4().hex}"
