"""Chat models from a `provider:model` name, built once per distinct configuration."""

from __future__ import annotations

import asyncio
import importlib
import logging
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from agent_runtime.graphs.config import GraphConfig
from agent_runtime.graphs.errors import ModelConfigError

logger = logging.getLogger(__name__)


class Provider(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    GOOGLE = "google"
    CUSTOM = "custom"


PROVIDER_PREFIXES: dict[str, Provider] = {
    "openai": Provider.OPENAI,
    "anthropic": Provider.ANTHROPIC,
    "google": Provider.GOOGLE,
    "google_genai": Provider.GOOGLE,
    "custom": Provider.CUSTOM,
}

API_KEY_NAMES: dict[Provider, str] = {
    Provider.OPENAI: "OPENAI_API_KEY",
    Provider.ANTHROPIC: "ANTHROPIC_API_KEY",
    Provider.GOOGLE: "GOOGLE_API_KEY",
    Provider.CUSTOM: "CUSTOM_API_KEY",
}

# Each client library costs 20-55 MB once imported, so only the providers in use are loaded.
PROVIDER_MODULES: dict[Provider, str] = {
    Provider.OPENAI: "langchain_openai",
    Provider.ANTHROPIC: "langchain_anthropic",
    Provider.GOOGLE: "langchain_google_genai",
    Provider.CUSTOM: "langchain_openai",
}

# Reasoning models answer 400 to any temperature but their own default.
_FIXED_TEMPERATURE_MODEL = re.compile(r"^o\d")


@dataclass(frozen=True)
class ProviderEnv:
    """Provider keys and endpoints from the runtime's settings (never read here from os.environ)."""

    openai_api_key: str | None = None
    anthropic_api_key: str | None = None
    google_api_key: str | None = None
    custom_api_key: str | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    google_base_url: str | None = None
    max_retries: int = 2

    def api_key(self, provider: Provider) -> str | None:
        keys = {
            Provider.OPENAI: self.openai_api_key,
            Provider.ANTHROPIC: self.anthropic_api_key,
            Provider.GOOGLE: self.google_api_key,
            Provider.CUSTOM: self.custom_api_key,
        }
        return keys[provider]

    def configured(self) -> set[Provider]:
        """The providers that have a key in the environment."""
        return {provider for provider in Provider if self.api_key(provider)}

    def base_url(self, provider: Provider) -> str | None:
        urls = {
            Provider.OPENAI: self.openai_base_url,
            Provider.ANTHROPIC: self.anthropic_base_url,
            Provider.GOOGLE: self.google_base_url,
            Provider.CUSTOM: None,
        }
        return urls[provider]


@dataclass(frozen=True)
class ModelParams:
    """Everything that distinguishes one chat model instance from another; the cache key."""

    provider: Provider
    model: str
    temperature: float | None
    max_tokens: int
    base_url: str | None
    api_key: str = field(repr=False)
    max_retries: int = 2


def split_model_name(model_name: str) -> tuple[Provider, str]:
    """`anthropic:claude-sonnet-4-0` → (ANTHROPIC, `claude-sonnet-4-0`); no prefix means OpenAI."""
    prefix, colon, model = model_name.strip().partition(":")
    if not colon:
        return Provider.OPENAI, prefix
    provider = PROVIDER_PREFIXES.get(prefix.lower())
    if provider is None:
        known = ", ".join(f"'{name}:'" for name in PROVIDER_PREFIXES)
        raise ModelConfigError(
            f"Unknown model provider '{prefix}' in model_name '{model_name}'. "
            f"Known prefixes: {known}"
        )
    return provider, model.strip()


def resolve_model_params(config: GraphConfig, env: ProviderEnv) -> ModelParams:
    """Work out model, key and endpoint, raising ModelConfigError for what is missing."""
    provider, model = split_model_name(config.model_name)
    if provider is Provider.CUSTOM:
        return _custom_params(config, env, model)
    if not model:
        raise ModelConfigError(f"model_name '{config.model_name}' names no model")
    temperature: float | None = config.temperature
    if provider is Provider.OPENAI and _FIXED_TEMPERATURE_MODEL.match(model):
        temperature = None
    return ModelParams(
        provider=provider,
        model=model,
        temperature=temperature,
        max_tokens=config.max_tokens,
        base_url=env.base_url(provider),
        api_key=_required_key(provider, config, env),
        max_retries=env.max_retries,
    )


def _custom_params(config: GraphConfig, env: ProviderEnv, model: str) -> ModelParams:
    model = _present(config.custom_model_name) or model
    if not model:
        raise ModelConfigError(
            "Missing model for provider 'custom': set configurable.custom_model_name"
        )
    base_url = _present(config.base_url)
    if base_url is None:
        raise ModelConfigError("Missing base URL for provider 'custom': set configurable.base_url")
    api_key = (
        _present(config.custom_api_key)
        or _configured_key(Provider.CUSTOM, config)
        or _present(env.custom_api_key)
        # OpenAI-compatible servers without auth still need some key for the client.
        or "EMPTY"
    )
    return ModelParams(
        provider=Provider.CUSTOM,
        model=model,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        base_url=base_url,
        api_key=api_key,
        max_retries=env.max_retries,
    )


def _required_key(provider: Provider, config: GraphConfig, env: ProviderEnv) -> str:
    key = _configured_key(provider, config) or _present(env.api_key(provider))
    if key is None:
        name = API_KEY_NAMES[provider]
        raise ModelConfigError(
            f"Missing API key for provider '{provider}': set {name} or configurable.apiKeys.{name}"
        )
    return key


def _configured_key(provider: Provider, config: GraphConfig) -> str | None:
    return _present((config.apiKeys or {}).get(API_KEY_NAMES[provider]))


def _present(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def preload_providers(providers: Iterable[Provider]) -> None:
    """Import the client libraries of these providers, so their first run does not wait."""
    for module in sorted({PROVIDER_MODULES[provider] for provider in providers}):
        importlib.import_module(module)


def create_chat_model(config: GraphConfig, env: ProviderEnv) -> BaseChatModel:
    """The streaming chat model `config.model_name` names, shared across runs."""
    return chat_model_for(resolve_model_params(config, env))


@lru_cache(maxsize=64)
def chat_model_for(params: ModelParams) -> BaseChatModel:
    """Build (once per distinct params) the chat model those params describe."""
    logger.info(
        "creating chat model",
        extra={"provider": str(params.provider), "model": params.model},
    )
    model = _BUILDERS[params.provider](params)
    model.callbacks = [_TOKEN_TURNS]
    return model


class _TokenTurns(AsyncCallbackHandler):
    """Gives the event loop a turn after each streamed token.

    A model's client reads tokens that arrived together (a fast model, or a burst after a
    network stall) without awaiting anything, so the run's stream and the client's SSE
    response would only see them once the burst is read; one turn per token sends each on
    as it is read, and lets concurrent runs interleave.
    """

    run_inline = True  # awaited in place, not gathered in a task per token

    async def on_llm_new_token(self, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)


_TOKEN_TURNS = _TokenTurns()


# langchain-openai bounds the wait for each streamed chunk with `asyncio.wait_for`, which on
# Python 3.11 drops a cancellation that arrives as a chunk does: a cancelled run would stream
# on to the end. There the bound is left to the HTTP client's read timeout.
_CHUNK_TIMEOUT: dict[str, Any] = (
    {"stream_chunk_timeout": None} if sys.version_info < (3, 12) else {}
)


def _openai(params: ModelParams) -> BaseChatModel:
    from agent_runtime.graphs.openai_model import PlainBodyChatOpenAI

    return PlainBodyChatOpenAI(
        model=params.model,
        api_key=SecretStr(params.api_key),
        base_url=params.base_url,
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        max_retries=params.max_retries,
        streaming=True,
        stream_usage=True,
        **_CHUNK_TIMEOUT,
    )


def _custom(params: ModelParams) -> BaseChatModel:
    from agent_runtime.graphs.openai_model import PlainBodyChatOpenAI

    # OpenAI-compatible servers speak Chat Completions, and many reject `stream_options`.
    return PlainBodyChatOpenAI(
        model=params.model,
        api_key=SecretStr(params.api_key),
        base_url=params.base_url,
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        max_retries=params.max_retries,
        streaming=True,
        stream_usage=False,
        use_responses_api=False,
        **_CHUNK_TIMEOUT,
    )


def _anthropic(params: ModelParams) -> BaseChatModel:
    from agent_runtime.graphs.anthropic_model import PlainBodyChatAnthropic

    return PlainBodyChatAnthropic(
        model=params.model,
        api_key=SecretStr(params.api_key),
        base_url=params.base_url,
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        max_retries=params.max_retries,
        streaming=True,
        stream_usage=True,
    )


def _google(params: ModelParams) -> BaseChatModel:
    from langchain_google_genai import ChatGoogleGenerativeAI

    # TODO(google-request-walk): google-genai validates and converts a request's whole
    # conversation into its wire form on every call, about 70 ms of CPU at 200 messages
    # (against 1 ms at two). Unlike with the OpenAI and Anthropic SDKs, LangChain hands it
    # typed objects, not the wire form, so sending them around it would mean re-implementing
    # its converters.
    return ChatGoogleGenerativeAI(
        model=params.model,
        google_api_key=SecretStr(params.api_key),
        base_url=params.base_url,
        temperature=params.temperature,
        max_output_tokens=params.max_tokens,
        # The Google SDK counts attempts, not retries: 1 means a single request.
        max_retries=params.max_retries + 1,
        # Without this the SDK would switch to Vertex AI on ambient GOOGLE_GENAI_USE_VERTEXAI.
        vertexai=False,
        streaming=True,
    )


_BUILDERS: dict[Provider, Callable[[ModelParams], BaseChatModel]] = {
    Provider.OPENAI: _openai,
    Provider.CUSTOM: _custom,
    Provider.ANTHROPIC: _anthropic,
    Provider.GOOGLE: _google,
}
