"""The current request's user: on `request.state.user` and in a context variable set for
the duration of that request only, so concurrent requests never see each other's user."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from agent_runtime.auth.user import AuthUser, invalid

_current_user: ContextVar[AuthUser | None] = ContextVar("agent_runtime_user", default=None)
_current_token: ContextVar[str | None] = ContextVar("agent_runtime_token", default=None)

# Configurable keys that carry the caller's identity to a graph; only the runtime sets them.
AUTH_CONFIGURABLE_KEYS = ("langgraph_auth_user", "langgraph_auth_user_id")
ACCESS_TOKEN_KEY = "x-supabase-access-token"


@contextmanager
def user_context(user: AuthUser, token: str) -> Iterator[None]:
    user_reset = _current_user.set(user)
    token_reset = _current_token.set(token)
    try:
        yield
    finally:
        _current_token.reset(token_reset)
        _current_user.reset(user_reset)


def get_current_user() -> AuthUser | None:
    """The authenticated user of the current request; `None` when auth is off."""
    return _current_user.get()


def require_user() -> AuthUser:
    """The authenticated user, or a 401 when there is none."""
    user = _current_user.get()
    if user is None:
        raise invalid("Authentication required")
    return user


def get_user_identity() -> str | None:
    user = _current_user.get()
    return user.identity if user is not None else None


def with_caller(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config with the caller's identity in `configurable`, over any client value."""
    caller = auth_configurable()
    if not caller:
        return config
    return {**config, "configurable": {**(config.get("configurable") or {}), **caller}}


def auth_configurable() -> dict[str, Any]:
    """What a run created by the current request passes to its graph about the caller."""
    user = _current_user.get()
    if user is None:
        return {}
    values: dict[str, Any] = {
        "langgraph_auth_user": user.as_config(),
        "langgraph_auth_user_id": user.identity,
    }
    token = _current_token.get()
    if token is not None:
        # Graphs built for Open Agent Platform read the caller's token here (for MCP calls);
        # the run manager keeps it out of the stored run.
        values[ACCESS_TOKEN_KEY] = token
    return values
