"""A ProviderEnv whose every provider points at one FakeProvider."""

from __future__ import annotations

from typing import Any

from agent_runtime.graphs import ProviderEnv

from .providers import FakeProvider

FAKE_KEYS = {
    "openai_api_key": "sk-fake-openai",
    "anthropic_api_key": "sk-fake-anthropic",
    "google_api_key": "fake-google-key",
    "custom_api_key": "sk-fake-custom",
}


def provider_env(provider: FakeProvider, **overrides: Any) -> ProviderEnv:
    """Keys for every provider, every base URL on `provider`, no retries unless overridden."""
    settings: dict[str, Any] = {
        **FAKE_KEYS,
        "openai_base_url": provider.openai_base_url,
        "anthropic_base_url": provider.anthropic_base_url,
        "google_base_url": provider.google_base_url,
        "max_retries": 0,
        **overrides,
    }
    return ProviderEnv(**settings)
