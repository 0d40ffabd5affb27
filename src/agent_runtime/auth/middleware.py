"""Pure ASGI authentication: every non-public request needs a valid bearer token before it
reaches a route. Written against ASGI so streaming responses pass through untouched."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from agent_runtime.api.errors import error_response
from agent_runtime.auth.context import user_context
from agent_runtime.auth.user import AuthenticationError, invalid
from agent_runtime.auth.verifier import Authenticator

logger = logging.getLogger(__name__)

PUBLIC_PATHS = frozenset({"/", "/health", "/ok", "/info", "/openapi.json", "/docs", "/metrics"})
PUBLIC_PREFIXES = ("/docs/", "/docs-assets/")


def is_public(path: str) -> bool:
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return True
    return path.endswith("/") and path.rstrip("/") in PUBLIC_PATHS


def bearer_token(scope: Scope) -> str:
    """The token of the one `Authorization: Bearer <token>` header (scheme in any case)."""
    values = [value for name, value in scope["headers"] if name == b"authorization"]
    if not values:
        raise invalid("Authorization header missing")
    parts: list[str] = values[0].decode("latin-1").split()
    if len(values) > 1 or len(parts) != 2 or parts[0].lower() != "bearer":
        raise invalid("Invalid authorization header format")
    return parts[1]


class AuthMiddleware:
    def __init__(self, app: ASGIApp, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # CORS preflights carry no credentials; the CORS middleware outside answers them.
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            token = bearer_token(scope)
            user = await self.authenticator.verify_token(token)
        except AuthenticationError as exc:
            logger.info(
                "authentication refused",
                extra={"path": scope["path"], "status": exc.status_code, "reason": exc.detail},
            )
            response = error_response(exc.status_code, exc.detail, exc.headers)
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["user"] = user
        with user_context(user, token):
            await self.app(scope, receive, send)
