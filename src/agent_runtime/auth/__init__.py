"""Supabase authentication: token verification, the request's user, and the middleware.

`Authenticator.verify_token` checks a token; `AuthMiddleware` applies it to every
non-public request; `get_current_user`, `require_user` and `get_user_identity` read the
result inside a request.
"""

from agent_runtime.auth.context import (
    auth_configurable,
    get_current_user,
    get_user_identity,
    require_user,
    with_caller,
)
from agent_runtime.auth.middleware import AuthMiddleware, is_public
from agent_runtime.auth.user import AuthenticationError, AuthUser
from agent_runtime.auth.verifier import Authenticator, authentication

__all__ = [
    "AuthMiddleware",
    "AuthUser",
    "AuthenticationError",
    "Authenticator",
    "auth_configurable",
    "authentication",
    "get_current_user",
    "get_user_identity",
    "is_public",
    "require_user",
    "with_caller",
]
