"""The connection pool: opened once at start-up, shared by repositories and the checkpointer."""

from __future__ import annotations

import asyncio
import json
import logging
import select
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Self

import orjson
from psycopg import AsyncConnection, AsyncCursor, OperationalError
from psycopg.abc import Params, Query
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.errors import FeatureNotSupported
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

logger = logging.getLogger(__name__)

Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

APPLICATION_NAME = "agent-runtime"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# Executions of a statement on a connection before it is prepared there (psycopg's default).
# Never the first: a script of several statements, such as a migration, cannot be prepared.
_PREPARE_AFTER = 5
# How long one connection attempt may take, so a black-holed host cannot eat the whole
# start-up budget in one try.
_ATTEMPT_TIMEOUT = 5


class DatabaseUnavailable(Exception):
    """PostgreSQL could not be reached at start-up; the message names the host."""


def normalize_conninfo(url: str) -> str:
    """The URL as libpq conninfo; a local server without `sslmode` is reached without TLS."""
    params = conninfo_to_dict(url)
    extra: dict[str, str] = {}
    if "sslmode" not in params and str(params.get("host", "localhost")) in _LOCAL_HOSTS:
        extra["sslmode"] = "disable"
    if "application_name" not in params:
        extra["application_name"] = APPLICATION_NAME
    return make_conninfo(url, **extra)


def describe_server(conninfo: str) -> str:
    """`host:port/dbname`, for messages (never the password)."""
    params = conninfo_to_dict(conninfo)
    host = params.get("host") or "localhost"
    port = params.get("port") or "5432"
    return f"{host}:{port}/{params.get('dbname') or ''}"


async def wait_for_server(url: str, patience: float) -> None:
    """Retry connecting for up to `patience` seconds; DatabaseUnavailable after that."""
    await _wait_for_server(normalize_conninfo(url), time.monotonic() + patience)


async def _wait_for_server(conninfo: str, deadline: float) -> None:
    delay = 0.25
    while True:
        remaining = deadline - time.monotonic()
        try:
            conn = await AsyncConnection.connect(
                conninfo, connect_timeout=max(1, min(_ATTEMPT_TIMEOUT, int(remaining)))
            )
        except OperationalError as exc:
            if time.monotonic() + delay >= deadline:
                raise DatabaseUnavailable(
                    f"PostgreSQL at {describe_server(conninfo)} is unreachable: {str(exc).strip()}"
                ) from None
            logger.warning(
                "database not reachable, retrying",
                extra={"server": describe_server(conninfo), "retry_in_s": delay},
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        else:
            await conn.close()
            return


def _dump_json(value: Any) -> bytes | str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # what orjson cannot encode (integers past 64 bits) json can
        return json.dumps(value)


async def _configure(conn: AsyncConnection[DictRow]) -> None:
    # Thread values and checkpoint metadata are JSONB read and written on every run;
    # orjson parses and encodes them several times faster than the json module.
    set_json_loads(orjson.loads, conn)
    set_json_dumps(_dump_json, conn)


class ReplanningCursor(AsyncCursor[DictRow]):
    """A cursor that runs a statement again, unprepared, when another session changed a
    table under its prepared plan (the sibling runtime's migration, or a newer replica's):
    the plan of a `SELECT *` then no longer matches the rows' shape, and PostgreSQL refuses
    it before executing anything. psycopg forgets the statement on that error, so it is
    prepared afresh later. Inside a transaction the error has aborted it, and is raised."""

    async def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        try:
            return await super().execute(_any(query), params, prepare=prepare, binary=binary)
        except FeatureNotSupported as exc:
            if exc.diag.message_primary != _STALE_PLAN or (
                self.connection.info.transaction_status != TransactionStatus.IDLE
            ):
                raise
            logger.info("statement planned again after a table change", extra={"error": str(exc)})
            return await super().execute(_any(query), params, prepare=False, binary=binary)


_STALE_PLAN = "cached plan must not change result type"


def _any(query: Query) -> Any:
    # `execute` is overloaded on whether the query is a template (which takes no params);
    # passed on as given, either form reaches the one implementation.
    return query


async def check_dropped(conn: AsyncConnection[DictRow]) -> None:
    """Raise if the server has dropped this idle connection, mostly without a round trip.

    A backend that is terminated or shuts down sends a FATAL error and closes its socket, so
    an idle pooled connection with bytes waiting has been dropped (none of them LISTENs).
    Only then does the check pay for a query, to be sure.
    """
    pgconn = conn.pgconn
    if pgconn.status != ConnStatus.OK:
        raise OperationalError("connection is closed")
    readable, _, _ = select.select([pgconn.socket], [], [], 0)
    if readable:
        await AsyncConnectionPool.check_connection(conn)


@asynccontextmanager
async def open_pool(
    url: str,
    *,
    min_size: int,
    max_size: int,
    checkout_timeout: float,
    connect_timeout: float,
    prepared_statements: bool = True,
) -> AsyncIterator[Pool]:
    """An open pool; retries the server for `connect_timeout` seconds before giving up.
    `checkout_timeout` bounds how long a request waits for a free connection."""
    conninfo = normalize_conninfo(url)
    deadline = time.monotonic() + connect_timeout
    await _wait_for_server(conninfo, deadline)
    # autocommit: each statement commits on its own unless a transaction is opened; dict rows,
    # as the LangGraph checkpointer reads them.
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "row_factory": dict_row,
        # A statement run a few times on a connection is prepared there and then planned
        # once, not on every run: a run's create statement spent half its server time so.
        "prepare_threshold": _PREPARE_AFTER if prepared_statements else None,
        "cursor_factory": ReplanningCursor,
    }
    pool: Pool = AsyncConnectionPool(
        conninfo,
        connection_class=AsyncConnection[DictRow],
        kwargs=kwargs,
        min_size=min_size,
        # Migrations hold one connection for their lock while another runs the DDL.
        max_size=max(max_size, min_size, 2),
        timeout=checkout_timeout,
        # A connection the server dropped (restart, pg_terminate_backend) is discarded when
        # it is next handed out, instead of failing the request that got it.
        check=check_dropped,
        configure=_configure,
        open=False,
        name="agent-runtime",
    )
    try:
        await pool.open(wait=True, timeout=max(1.0, deadline - time.monotonic()))
    except Exception as exc:
        await pool.close()
        raise DatabaseUnavailable(
            f"PostgreSQL at {describe_server(conninfo)} is unreachable: {exc}"
        ) from None
    logger.info(
        "database pool open",
        extra={"server": describe_server(conninfo), "min_size": min_size, "max_size": max_size},
    )
    try:
        yield pool
    finally:
        await pool.close()
