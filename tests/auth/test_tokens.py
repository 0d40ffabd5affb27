"""Token verification, one configuration at a time, against real keys and a real HTTP fake
of Supabase's auth server."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from agent_runtime.auth import AuthenticationError, Authenticator, AuthUser
from tests.auth.conftest import auth_settings
from tests.auth.fake_supabase import JWKS_PATH, USER_PATH, FakeSupabase
from tests.auth.tokens import SECRET, SigningKey, forged_hs256, hs256, unsigned

ANON_KEY = "test-anon-key"


async def refused(authenticator: Authenticator, token: str) -> AuthenticationError:
    with pytest.raises(AuthenticationError) as caught:
        await authenticator.verify_token(token)
    return caught.value


@pytest.fixture
async def secret_only() -> AsyncIterator[Authenticator]:
    async with Authenticator(auth_settings()) as authenticator:
        yield authenticator


@pytest.fixture
async def jwks_project(supabase: FakeSupabase) -> AsyncIterator[Authenticator]:
    """A project with asymmetric signing keys and no shared secret configured."""
    settings = auth_settings(
        supabase_jwt_secret=None, supabase_url=supabase.url, supabase_key=ANON_KEY
    )
    async with Authenticator(settings, jwks_min_refresh_interval=0.2) as authenticator:
        yield authenticator


async def test_hs256_valid_token_gives_the_user(secret_only: Authenticator) -> None:
    sub = str(uuid.uuid4())
    user = await secret_only.verify_token(
        hs256(sub=sub, email="a@example.com", user_metadata={"plan": "pro"})
    )
    assert user == AuthUser(identity=sub, email="a@example.com", metadata={"plan": "pro"})


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (hs256(exp=int(time.time()) - 300), "Token expired"),
        (hs256(nbf=int(time.time()) + 300), "Token not yet valid"),
        (hs256(secret="another-secret-that-is-32-bytes-long!!"), "Invalid token signature"),
        (unsigned(), "Token algorithm not allowed"),
        (hs256(sub=None), "Token has no 'sub' claim"),
        (hs256(sub=""), "Token has no subject"),
        (hs256(sub="system"), "Token subject is not allowed"),
        (hs256(exp=None), "Token has no 'exp' claim"),
        ("garbage", "Invalid token"),
        ("a.b.c", "Invalid token"),
        ("...", "Invalid token"),
        (hs256() + "x", "Invalid token signature"),
    ],
    ids=[
        "expired",
        "nbf-in-future",
        "wrong-secret",
        "alg-none",
        "missing-sub",
        "empty-sub",
        "reserved-sub",
        "missing-exp",
        "garbage",
        "three-segments-of-junk",
        "dots-only",
        "tampered-signature",
    ],
)
async def test_hs256_refusals(secret_only: Authenticator, token: str, detail: str) -> None:
    error = await refused(secret_only, token)
    assert (error.status_code, error.detail) == (401, detail)
    assert error.headers == {"WWW-Authenticate": "Bearer"}


async def test_clock_skew_within_leeway_is_tolerated(secret_only: Authenticator) -> None:
    now = int(time.time())
    assert await secret_only.verify_token(hs256(exp=now - 5, nbf=now + 5))


async def test_asymmetric_token_without_jwks_is_refused(secret_only: Authenticator) -> None:
    error = await refused(secret_only, SigningKey("EC").sign())
    assert error.detail == "Token algorithm not allowed"


@pytest.mark.parametrize("kind", ["EC", "RSA"])
async def test_jwks_verifies_es256_and_rs256(
    jwks_project: Authenticator, supabase: FakeSupabase, kind: str
) -> None:
    key = SigningKey(kind)
    supabase.jwks = [key.jwk]
    sub = str(uuid.uuid4())
    user = await jwks_project.verify_token(key.sign(sub=sub))
    assert user.identity == sub
    assert supabase.hits[JWKS_PATH] == 1
    assert supabase.api_keys == [ANON_KEY]
    # Cached: no second fetch, and no call to Supabase's user endpoint at all.
    await jwks_project.verify_token(key.sign())
    assert supabase.hits[JWKS_PATH] == 1
    assert supabase.hits[USER_PATH] == 0


async def test_jwks_refusals(jwks_project: Authenticator, supabase: FakeSupabase) -> None:
    key = SigningKey("EC")
    stranger = SigningKey("EC", kid=key.kid)  # same kid, different private key
    supabase.jwks = [key.jwk]
    cases = {
        key.sign(exp=int(time.time()) - 300): "Token expired",
        key.sign(nbf=int(time.time()) + 300): "Token not yet valid",
        key.sign(sub=None): "Token has no 'sub' claim",
        stranger.sign(): "Invalid token signature",
    }
    for token, detail in cases.items():
        assert (await refused(jwks_project, token)).detail == detail


async def test_algorithm_confusion_is_refused(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    """An HS256 token keyed with the project's public key must not verify against it; it
    goes to Supabase, which knows no such token."""
    key = SigningKey("RSA")
    supabase.jwks = [key.jwk]
    forged = forged_hs256(key.public_pem(), key.kid)
    assert (await refused(jwks_project, forged)).detail == "Invalid token"
    assert supabase.hits[USER_PATH] == 1


async def test_rs256_header_on_an_ec_key_is_refused(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    ec_key, rsa_key = SigningKey("EC"), SigningKey("RSA")
    supabase.jwks = [ec_key.jwk]
    token = rsa_key.sign(kid=ec_key.kid)
    assert (await refused(jwks_project, token)).detail == "Token algorithm not allowed"


async def test_symmetric_keys_in_jwks_are_ignored(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    import base64

    raw = base64.urlsafe_b64encode(SECRET.encode()).rstrip(b"=").decode()
    supabase.jwks = [{"kty": "oct", "kid": "shared", "k": raw, "alg": "HS256"}]
    token = hs256()  # routed to Supabase: an HS256 token is never checked with JWKS entries
    assert (await refused(jwks_project, token)).detail == "Invalid token"
    es = SigningKey("EC").sign(kid="shared")
    assert (await refused(jwks_project, es)).detail == "Unknown token signing key"


async def test_rotated_key_is_fetched_once(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    old, new = SigningKey("EC"), SigningKey("EC")
    supabase.jwks = [old.jwk]
    await jwks_project.verify_token(old.sign())
    supabase.jwks = [old.jwk, new.jwk]
    await asyncio.sleep(0.25)  # past the refresh interval
    tokens = [new.sign() for _ in range(20)]
    users = await asyncio.gather(*(jwks_project.verify_token(t) for t in tokens))
    assert len(users) == 20
    assert supabase.hits[JWKS_PATH] == 2


async def test_unknown_kids_cannot_hammer_the_jwks_endpoint(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    key = SigningKey("EC")
    supabase.jwks = [key.jwk]
    await jwks_project.verify_token(key.sign())
    for _ in range(30):
        error = await refused(jwks_project, key.sign(kid=uuid.uuid4().hex))
        assert error.detail == "Unknown token signing key"
    assert supabase.hits[JWKS_PATH] == 1


async def test_get_user_through_the_supabase_client(
    jwks_project: Authenticator, supabase: FakeSupabase
) -> None:
    """Tokens that cannot be checked locally go to Supabase, once per token per TTL."""
    token = hs256(secret="the-project-secret-this-runtime-doesnt-know")
    user_id = str(uuid.uuid4())
    supabase.add_user(token, user_id, "b@example.com", full_name="B")
    for _ in range(5):
        user = await jwks_project.verify_token(token)
        assert user == AuthUser(user_id, "b@example.com", {"full_name": "B"})
    assert supabase.hits[USER_PATH] == 1
    assert ANON_KEY in supabase.api_keys
    assert jwks_project.users is not None
    client = await jwks_project.users.get_supabase_client()
    assert client is await jwks_project.users.get_supabase_client()


async def test_get_user_cache_expires(supabase: FakeSupabase) -> None:
    settings = auth_settings(
        supabase_jwt_secret=None, supabase_url=supabase.url, supabase_key=ANON_KEY
    )
    token = hs256(secret="unknown-secret-unknown-secret-unknown")
    supabase.add_user(token, str(uuid.uuid4()), "c@example.com")
    async with Authenticator(settings, user_cache_ttl=0.1) as authenticator:
        await authenticator.verify_token(token)
        await asyncio.sleep(0.15)
        del supabase.users[token]  # revoked at Supabase
        assert (await refused(authenticator, token)).detail == "Invalid token"
    assert supabase.hits[USER_PATH] == 2


async def test_unreachable_supabase_is_503() -> None:
    settings = auth_settings(
        supabase_jwt_secret=None, supabase_url="http://127.0.0.1:9", supabase_key=ANON_KEY
    )
    async with Authenticator(settings) as authenticator:
        for token in (SigningKey("EC").sign(), hs256()):
            error = await refused(authenticator, token)
            assert (error.status_code, error.detail) == (503, "Authentication service unavailable")
            assert error.headers is None


async def test_get_user_calls_supabase_with_the_secret_key_when_set(
    supabase: FakeSupabase,
) -> None:
    settings = auth_settings(
        supabase_jwt_secret=None,
        supabase_url=supabase.url,
        supabase_key=ANON_KEY,
        supabase_secret="sb_secret_server_side",
    )
    token = hs256(secret="unknown-secret-unknown-secret-unknown")
    supabase.add_user(token, str(uuid.uuid4()), "d@example.com")
    async with Authenticator(settings) as authenticator:
        user = await authenticator.verify_token(token)
    assert user.email == "d@example.com"
    assert supabase.api_keys[-1] == "sb_secret_server_side"
    assert ANON_KEY not in supabase.api_keys
