"""Who a request is from, and why a token was refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent_runtime.errors import ApiError
from agent_runtime.storage.base import ANONYMOUS_OWNER, SYSTEM_OWNER

# Owner values the runtime gives its own rows; a token may never claim them.
RESERVED_IDENTITIES = frozenset({SYSTEM_OWNER, ANONYMOUS_OWNER})


@dataclass(frozen=True)
class AuthUser:
    """An authenticated Supabase user: `identity` is the token's `sub`."""

    identity: str
    email: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def as_config(self) -> dict[str, Any]:
        """The plain form graphs receive as `configurable.langgraph_auth_user`."""
        return {"identity": self.identity, "email": self.email, "metadata": dict(self.metadata)}


class AuthenticationError(ApiError):
    """A request could not be authenticated; 401 unless the verifier itself failed (503)."""

    def __init__(self, status: int, detail: str) -> None:
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        super().__init__(detail, headers=headers)
        self.status_code = status


def invalid(detail: str) -> AuthenticationError:
    return AuthenticationError(401, detail)


def user_from_claims(claims: Mapping[str, Any]) -> AuthUser:
    """Build the user from verified claims; Supabase puts profile data in `user_metadata`."""
    return make_user(claims.get("sub"), claims.get("email"), claims.get("user_metadata"))


def make_user(subject: object, email: object, metadata: object) -> AuthUser:
    if not isinstance(subject, str) or not subject.strip():
        raise invalid("Token has no subject")
    if subject in RESERVED_IDENTITIES:
        raise invalid("Token subject is not allowed")
    return AuthUser(
        identity=subject,
        email=email if isinstance(email, str) and email else None,
        metadata=dict(metadata) if isinstance(metadata, Mapping) else {},
    )
