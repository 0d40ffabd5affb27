from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from agent_runtime.storage.base import StoreRepository
from agent_runtime.storage.memory_store import MemoryStoreItems


@pytest.fixture(params=["memory"])
async def repository(request: pytest.FixtureRequest) -> AsyncIterator[StoreRepository]:
    yield MemoryStoreItems()


@pytest.fixture
def owner() -> str:
    """A fresh owner per test, so tests sharing a database never see each other's items."""
    return f"owner-{uuid.uuid4().hex}"
