"""Fresh PostgreSQL databases for tests: created on demand, dropped afterwards."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def require_postgres() -> None:
    """Fail in CI, skip elsewhere, when no PostgreSQL answers."""
    try:
        with psycopg.connect(ADMIN_DSN, connect_timeout=3):
            return
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL not reachable at {ADMIN_DSN}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def create_database() -> tuple[str, str]:
    """A new empty database; returns (name, dsn)."""
    require_postgres()
    name = f"agent_runtime_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, _with_database(ADMIN_DSN, name)


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
