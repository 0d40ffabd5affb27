"""Which configurable keys count as credentials, kept out of stored runs and checkpoints."""

from __future__ import annotations

import pytest

from agent_runtime.runs.secrets import is_secret_key, split_secrets, with_secrets


@pytest.mark.parametrize(
    "key",
    [
        "x-supabase-access-token",
        "githubToken",
        "x-session-token",
        "custom_api_key",
        "apiKeys",
        "client_secret",
        "db_password",
        "Authorization",
    ],
)
def test_credentials_are_secret(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["max_tokens", "tokens", "model_name", "tone", "x-tenant"])
def test_settings_are_not_secret(key: str) -> None:
    assert not is_secret_key(key)


def test_split_then_restore_gives_the_config_back() -> None:
    config = {"tags": ["a"], "configurable": {"apiKeys": {"K": "v"}, "max_tokens": 5}}
    public, secrets = split_secrets(config)
    assert public == {"tags": ["a"], "configurable": {"max_tokens": 5}}
    assert secrets == {"apiKeys": {"K": "v"}}
    assert with_secrets(public, secrets) == config
