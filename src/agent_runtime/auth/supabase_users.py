"""Token verification by Supabase itself (`auth.get_user`), for projects whose tokens cannot
be checked locally, with a short cache so a burst of requests costs one call."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict

import httpx
from supabase import AsyncClient, AsyncClientOptions, acreate_client
from supabase_auth.errors import AuthError, AuthRetryableError

from agent_runtime.auth.tokens import unverified_expiry
from agent_runtime.auth.user import AuthenticationError, AuthUser, invalid, make_user


class SupabaseUsers:
    def __init__(
        self,
        url: str,
        key: str,
        http: httpx.AsyncClient,
        *,
        ttl: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        self._url = url
        self._key = key
        self._http = http
        self._ttl = ttl
        self._max_entries = max_entries
        self._client: AsyncClient | None = None
        self._client_lock = asyncio.Lock()
        # Keyed by a hash, so the cache never holds a usable token.
        self._cache: OrderedDict[str, tuple[float, AuthUser]] = OrderedDict()

    async def get_supabase_client(self) -> AsyncClient:
        """The async client, created on first use and shared afterwards."""
        if self._client is None:
            async with self._client_lock:
                if self._client is None:
                    options = AsyncClientOptions(
                        auto_refresh_token=False, persist_session=False, httpx_client=self._http
                    )
                    self._client = await acreate_client(self._url, self._key, options)
        return self._client

    async def get_user(self, token: str) -> AuthUser:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = time.time()
        cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        user = await self._fetch(token)
        expires = min(now + self._ttl, unverified_expiry(token) or now + self._ttl)
        self._remember(digest, expires, user)
        return user

    async def _fetch(self, token: str) -> AuthUser:
        client = await self.get_supabase_client()
        try:
            response = await client.auth.get_user(token)
        except AuthRetryableError:
            raise AuthenticationError(503, "Authentication service unavailable") from None
        except AuthError:
            raise invalid("Invalid token") from None
        if response is None:
            raise invalid("Invalid token")
        found = response.user
        return make_user(found.id, found.email, found.user_metadata)

    def _remember(self, digest: str, expires: float, user: AuthUser) -> None:
        self._cache[digest] = (expires, user)
        self._cache.move_to_end(digest)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
