"""Which check a token gets, following the configuration and the token's own header."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import TracebackType

import httpx

from agent_runtime.auth.jwks import JwksCache
from agent_runtime.auth.supabase_users import SupabaseUsers
from agent_runtime.auth.tokens import ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHM, decode, token_header
from agent_runtime.auth.user import AuthUser, invalid, user_from_claims
from agent_runtime.config import Settings

logger = logging.getLogger(__name__)

_HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class Authenticator:
    """Verifies Supabase access tokens. In order: HS256 with `SUPABASE_JWT_SECRET`; ES256 or
    RS256 with the project's JWKS; otherwise Supabase's own `auth.get_user`.

    Used as an async context manager for the life of the app: it owns one HTTP client.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        jwks_min_refresh_interval: float = 30.0,
        user_cache_ttl: float = 60.0,
    ) -> None:
        self._secret = settings.supabase_jwt_secret
        self._url = settings.supabase_url.rstrip("/") if settings.supabase_url else None
        # A secret (service-role) key, when given, is what the server calls Supabase with.
        self._key = settings.supabase_secret or settings.supabase_key
        self._jwks_min_refresh_interval = jwks_min_refresh_interval
        self._user_cache_ttl = user_cache_ttl
        self._http: httpx.AsyncClient | None = None
        self._jwks: JwksCache | None = None
        self._users: SupabaseUsers | None = None

    @property
    def modes(self) -> list[str]:
        """The checks this configuration allows, for the start-up log."""
        return [
            name
            for name, on in (
                ("hs256", self._secret is not None),
                ("jwks", self._url is not None),
                ("supabase_get_user", self._url is not None and self._key is not None),
            )
            if on
        ]

    async def __aenter__(self) -> Authenticator:
        self._http = httpx.AsyncClient(timeout=_HTTP_TIMEOUT)
        if self._url is not None:
            headers = {"apikey": self._key} if self._key else {}
            self._jwks = JwksCache(
                f"{self._url}/auth/v1/.well-known/jwks.json",
                self._http,
                headers,
                min_refresh_interval=self._jwks_min_refresh_interval,
            )
            if self._key is not None:
                self._users = SupabaseUsers(
                    self._url, self._key, self._http, ttl=self._user_cache_ttl
                )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
        self._http = self._jwks = self._users = None

    @property
    def users(self) -> SupabaseUsers | None:
        return self._users

    async def verify_token(self, token: str) -> AuthUser:
        """The token's user, or `AuthenticationError` saying why not."""
        header = token_header(token)
        alg = header["alg"]
        if alg == HMAC_ALGORITHM and self._secret is not None:
            return user_from_claims(decode(token, self._secret, HMAC_ALGORITHM))
        if alg in ASYMMETRIC_ALGORITHMS.values() and self._jwks is not None:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise invalid("Unknown token signing key")
            key = await self._jwks.key_for(kid)
            return user_from_claims(decode(token, key.key, key.algorithm))
        if self._users is not None:
            return await self._users.get_user(token)
        raise invalid("Token algorithm not allowed")


@asynccontextmanager
async def authentication(authenticator: Authenticator | None) -> AsyncIterator[None]:
    """Open the authenticator for the app's life; say once, loudly, when there is none."""
    if authenticator is None:
        logger.warning(
            "authentication disabled: set SUPABASE_URL and SUPABASE_KEY, or "
            "SUPABASE_JWT_SECRET, to require tokens and isolate users"
        )
        yield
        return
    logger.info("authentication enabled", extra={"auth_modes": authenticator.modes})
    async with authenticator:
        yield
