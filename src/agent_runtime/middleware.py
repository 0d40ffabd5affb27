"""Pure ASGI middleware: request ids, access logs and request metrics.

Written against ASGI directly rather than `BaseHTTPMiddleware` so streaming responses pass
through untouched and a client disconnect reaches the endpoint.
"""

from __future__ import annotations

import logging
import time
import uuid

import structlog
from prometheus_client import Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = structlog.get_logger("agent_runtime.access")
_stdlib_access = logging.getLogger("agent_runtime.access")

REQUESTS = Counter(
    "agent_runtime_http_requests_total", "HTTP requests served.", ["method", "status"]
)
LATENCY = Histogram(
    "agent_runtime_http_request_duration_seconds",
    "Time to the response's first byte.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

_MAX_REQUEST_ID = 200


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
                LATENCY.labels(scope["method"]).observe(time.perf_counter() - started)
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                REQUESTS.labels(scope["method"], str(status)).inc()
                _log_access(scope, status, started)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text[:_MAX_REQUEST_ID] if text else None
    return None


def _log_access(scope: Scope, status: int, started: float) -> None:
    level = logging.DEBUG if status < 400 else logging.INFO if status < 500 else logging.ERROR
    if not _stdlib_access.isEnabledFor(level):  # where structlog sends it, level and all
        return
    logger.log(
        level,
        "request",
        method=scope["method"],
        path=scope["path"],
        status=status,
        duration_ms=round((time.perf_counter() - started) * 1000, 2),
    )
