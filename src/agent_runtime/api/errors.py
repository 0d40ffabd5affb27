"""The one place where exceptions become `{"detail": "..."}` responses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from psycopg import OperationalError
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from agent_runtime.errors import ApiError

logger = logging.getLogger(__name__)

_STATUS_TEXT = {404: "Not found", 405: "Method not allowed"}
_LOCATION_ROOTS = {"body", "query", "path", "header", "cookie"}


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # The database is down or dropped the connection: 503, and the pool reconnects.
    app.add_exception_handler(OperationalError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(Exception, _unhandled_error)


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, describe_validation_errors(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    if detail is None or detail in {"Not Found", "Method Not Allowed"}:
        detail = _STATUS_TEXT.get(exc.status_code, "Request failed")
    return error_response(exc.status_code, detail, dict(exc.headers or {}))


async def _database_error(request: Request, exc: Exception) -> Response:
    logger.warning(
        "database unavailable",
        extra={"method": request.method, "path": request.url.path, "error": str(exc)},
    )
    return error_response(503, "Database unavailable")


async def _unhandled_error(request: Request, exc: Exception) -> Response:
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"method": request.method, "path": request.url.path},
    )
    return error_response(500, "Internal server error")


def describe_validation_errors(errors: Sequence[Any]) -> str:
    """Flatten pydantic's error list into one sentence naming each bad field."""
    parts: list[str] = []
    for err in errors:
        if err.get("type") == "json_invalid":
            return "Invalid JSON in request body"
        location = [str(p) for p in err.get("loc", ())]
        if location and location[0] in _LOCATION_ROOTS:
            location = location[1:]
        field = ".".join(location) or "body"
        message = "Required" if err.get("type") == "missing" else str(err.get("msg", "Invalid"))
        parts.append(f"{field}: {message}")
    return "; ".join(dict.fromkeys(parts)) or "Invalid request"
