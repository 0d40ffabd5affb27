"""Keep credentials out of what is stored or streamed.

LangChain copies every string in `configurable` into run metadata, and LangGraph copies it
into checkpoint metadata, so a `custom_api_key` given per run would otherwise land in the
checkpoint tables and in every `messages` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SECRET_MARKERS = ("api_key", "apikey", "secret", "password", "token", "authorization")


def is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return any(marker in lowered for marker in _SECRET_MARKERS)


def scrub(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if not is_secret_key(k)}
