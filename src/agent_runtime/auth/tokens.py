"""Local JWT checks: the header read before verification, and the verification itself.

Every decode pins exactly one algorithm, chosen by the runtime from the key it holds, never
by the token: an HS256 token is only ever checked against the shared secret, and a public
key only ever verifies the one asymmetric algorithm its type allows.
"""

from __future__ import annotations

from typing import Any

import jwt

from agent_runtime.auth.user import invalid

# Clock tolerance for `exp`, `nbf` and `iat`, in seconds.
LEEWAY_SECONDS = 30
HMAC_ALGORITHM = "HS256"
# Supabase signing keys: ES256 on P-256 (the default) or RS256.
ASYMMETRIC_ALGORITHMS = {"EC": "ES256", "RSA": "RS256"}

_DECODE_OPTIONS: Any = {"require": ["exp", "sub"], "verify_aud": False}


def token_header(token: str) -> dict[str, Any]:
    """The unverified header, with `alg` present and not `none`."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise invalid("Invalid token") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise invalid("Token algorithm not allowed")
    return header


def unverified_expiry(token: str) -> float | None:
    """`exp` read without verification: only ever used to shorten a cache entry."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def decode(token: str, key: Any, algorithm: str) -> dict[str, Any]:
    """Verify signature and time claims with `key` under exactly `algorithm`."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[algorithm], leeway=LEEWAY_SECONDS, options=_DECODE_OPTIONS
        )
    except jwt.ExpiredSignatureError:
        raise invalid("Token expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid("Token not yet valid") from None
    except jwt.InvalidSignatureError:
        raise invalid("Invalid token signature") from None
    except jwt.InvalidAlgorithmError:
        raise invalid("Token algorithm not allowed") from None
    except jwt.MissingRequiredClaimError as exc:
        raise invalid(f"Token has no '{exc.claim}' claim") from None
    except jwt.InvalidTokenError:
        raise invalid("Invalid token") from None
    return claims
