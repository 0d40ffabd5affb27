"""Keep credentials out of what is stored or streamed.

LangChain copies every string in `configurable` into run metadata, and LangGraph copies it
into checkpoint metadata, so a `custom_api_key` given per run would otherwise land in the
checkpoint tables and in every `messages` event.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

_SECRET_MARKERS = ("api_key", "apikey", "secret", "password", "authorization")


@lru_cache(maxsize=4096)  # the same few keys come back with every run and checkpoint
def is_secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    # A word ending in `token` (`access_token`, `githubToken`) is a credential; `max_tokens`
    # is a setting.
    words = lowered.split("_")
    return any(w.endswith("token") for w in words) or any(m in lowered for m in _SECRET_MARKERS)


def scrub(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if not is_secret_key(k)}


def split_secrets(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A config without the credentials in its `configurable`, and those credentials."""
    configurable = config.get("configurable") or {}
    secrets = {k: v for k, v in configurable.items() if is_secret_key(k)}
    if not secrets:
        return config, {}
    return {**config, "configurable": scrub(configurable)}, secrets


def with_secrets(config: dict[str, Any], secrets: Mapping[str, Any]) -> dict[str, Any]:
    """The config `split_secrets` took the credentials from, with them back."""
    if not secrets:
        return config
    return {**config, "configurable": {**(config.get("configurable") or {}), **secrets}}
