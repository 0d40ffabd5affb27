"""Tokens minted the way Supabase mints them, with keys made here."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SECRET = "test-jwt-secret-with-at-least-32-bytes!!"


def claims(**extra: Any) -> dict[str, Any]:
    """Supabase-like claims; an `extra` value of None removes that claim."""
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "aud": "authenticated",
        "role": "authenticated",
        "email": "user@example.com",
        "user_metadata": {"name": "Test"},
        "iat": now,
        "exp": now + 3600,
    }
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def hs256(secret: str = SECRET, **extra: Any) -> str:
    return jwt.encode(claims(**extra), secret, algorithm="HS256")


def unsigned(**extra: Any) -> str:
    return jwt.encode(claims(**extra), None, algorithm="none")


class SigningKey:
    """A private key with its public JWK, as a project's signing key."""

    def __init__(self, kind: str = "EC", kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex
        if kind == "EC":
            self.private: Any = ec.generate_private_key(ec.SECP256R1())
            self.algorithm = "ES256"
            public = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.algorithm = "RS256"
            public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def sign(self, *, kid: str | None = None, **extra: Any) -> str:
        return jwt.encode(
            claims(**extra),
            self.private,
            algorithm=self.algorithm,
            headers={"kid": kid or self.kid},
        )

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def forged_hs256(secret: bytes, kid: str, **extra: Any) -> str:
    """An HS256 token keyed with `secret` (e.g. a public key's PEM), built by hand because
    PyJWT refuses to sign that way: the classic algorithm-confusion forgery."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims(**extra)).encode())
    signature = hmac.new(secret, header + b"." + payload, hashlib.sha256).digest()
    return (header + b"." + payload + b"." + b64(signature)).decode()
