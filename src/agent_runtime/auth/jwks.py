"""The project's public signing keys, fetched from its JWKS endpoint and cached by `kid`."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from agent_runtime.auth.tokens import ASYMMETRIC_ALGORITHMS
from agent_runtime.auth.user import AuthenticationError, invalid

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: Any
    algorithm: str


class JwksCache:
    """Keys by id. A token with an unknown `kid` triggers one refetch (key rotation), at most
    once per `min_refresh_interval`, so a flood of forged ids cannot hammer the endpoint."""

    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        headers: Mapping[str, str] | None = None,
        *,
        max_age: float = 600.0,
        min_refresh_interval: float = 30.0,
    ) -> None:
        self.url = url
        self._http = http
        self._headers = dict(headers or {})
        self._max_age = max_age
        self._min_refresh_interval = min_refresh_interval
        self._keys: dict[str, SigningKey] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> SigningKey:
        if self._fresh() and kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            # Another request may have refreshed while this one waited.
            if not (self._fresh() and kid in self._keys) and self._may_refresh():
                await self._refresh()
        key = self._keys.get(kid)
        if key is None:
            raise invalid("Unknown token signing key")
        return key

    def _fresh(self) -> bool:
        return self._fetched_at is not None and time.monotonic() - self._fetched_at < self._max_age

    def _may_refresh(self) -> bool:
        return (
            self._fetched_at is None
            or time.monotonic() - self._fetched_at >= self._min_refresh_interval
        )

    async def _refresh(self) -> None:
        try:
            response = await self._http.get(self.url, headers=self._headers)
            response.raise_for_status()
            document = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("JWKS fetch failed", extra={"url": self.url, "error": str(exc)})
            if not self._keys:
                raise AuthenticationError(503, "Authentication service unavailable") from None
            return  # keep verifying with the keys already known
        self._keys = parse_jwks(document)
        self._fetched_at = time.monotonic()
        logger.info("JWKS loaded", extra={"url": self.url, "kids": sorted(self._keys)})


def parse_jwks(document: object) -> dict[str, SigningKey]:
    """Usable signing keys by id; symmetric (`oct`) and unknown key types are never taken."""
    entries = document.get("keys") if isinstance(document, dict) else None
    keys: dict[str, SigningKey] = {}
    for entry in entries if isinstance(entries, list) else ():
        key = _signing_key(entry) if isinstance(entry, dict) else None
        if key is not None:
            keys[key.kid] = key
    return keys


def _signing_key(entry: dict[str, Any]) -> SigningKey | None:
    kid = entry.get("kid")
    algorithm = ASYMMETRIC_ALGORITHMS.get(str(entry.get("kty")))
    if not isinstance(kid, str) or algorithm is None:
        return None
    if entry.get("alg", algorithm) != algorithm or entry.get("use", "sig") != "sig":
        return None
    if algorithm == "ES256" and entry.get("crv") != "P-256":
        return None
    try:
        return SigningKey(kid=kid, key=jwt.PyJWK(entry, algorithm).key, algorithm=algorithm)
    except jwt.PyJWKError:
        logger.warning("JWKS key skipped", extra={"kid": kid})
        return None
