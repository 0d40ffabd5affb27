"""The `configurable` settings of the `agent` graph, with the UI hints Open Agent Platform reads."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from agent_runtime.graphs.errors import GraphConfigError

DEFAULT_MODEL_NAME = "openai:gpt-4o"
CUSTOM_MODEL_NAME = "custom:"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant. You have access ONLY to the tools explicitly provided to you "
    "below. Do NOT claim to have access to any tools, APIs, or capabilities that are not listed. "
    "If the user asks for something that requires a tool you do not have, tell them honestly "
    "that you cannot do it with your current tools."
)

MODEL_OPTIONS: tuple[tuple[str, str], ...] = (
    ("Claude Sonnet 4", "anthropic:claude-sonnet-4-0"),
    ("Claude 3.7 Sonnet", "anthropic:claude-3-7-sonnet-latest"),
    ("Claude 3.5 Sonnet", "anthropic:claude-3-5-sonnet-latest"),
    ("Claude 3.5 Haiku", "anthropic:claude-3-5-haiku-latest"),
    ("o4 mini", "openai:o4-mini"),
    ("o3", "openai:o3"),
    ("o3 mini", "openai:o3-mini"),
    ("GPT 4o", "openai:gpt-4o"),
    ("GPT 4o mini", "openai:gpt-4o-mini"),
    ("GPT 4.1", "openai:gpt-4.1"),
    ("GPT 4.1 mini", "openai:gpt-4.1-mini"),
    ("Gemini 2.5 Pro", "google:gemini-2.5-pro"),
    ("Gemini 2.5 Flash", "google:gemini-2.5-flash"),
    ("Gemini 2.0 Flash", "google:gemini-2.0-flash"),
    ("Custom OpenAI-compatible endpoint", CUSTOM_MODEL_NAME),
)

# Open Agent Platform has no standard key for conditional fields; UIs that do not know this
# one simply show the field.
_VISIBLE_FOR_CUSTOM = {"field": "model_name", "equals": CUSTOM_MODEL_NAME}


def _ui(**config: Any) -> dict[str, Any]:
    return {"x_oap_ui_config": config}


class GraphConfig(BaseModel):
    """What a run's `configurable` may set for the `agent` graph."""

    # configurable also carries thread_id, run_id, owner, x-* headers and more.
    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    model_name: str = Field(
        default=DEFAULT_MODEL_NAME,
        description="The model to use, as provider:model.",
        json_schema_extra=_ui(
            type="select",
            default=DEFAULT_MODEL_NAME,
            description="The model to use in all generations",
            options=[{"label": label, "value": value} for label, value in MODEL_OPTIONS],
        ),
    )
    temperature: float = Field(
        default=0.7,
        ge=0,
        le=2,
        json_schema_extra=_ui(
            type="slider",
            default=0.7,
            min=0,
            max=2,
            step=0.1,
            description="Controls randomness (0 = deterministic, 2 = creative)",
        ),
    )
    max_tokens: int = Field(
        default=4000,
        ge=1,
        json_schema_extra=_ui(
            type="number",
            default=4000,
            min=1,
            description="The maximum number of tokens to generate",
        ),
    )
    system_prompt: str = Field(
        default=DEFAULT_SYSTEM_PROMPT,
        json_schema_extra=_ui(
            type="textarea",
            default=DEFAULT_SYSTEM_PROMPT,
            placeholder="Enter a system prompt...",
            description="The system prompt to use in all generations",
        ),
    )
    base_url: str | None = Field(
        default=None,
        json_schema_extra=_ui(
            type="text",
            placeholder="https://api.example.com/v1",
            description="Base URL of the OpenAI-compatible endpoint",
            visible_when=_VISIBLE_FOR_CUSTOM,
        ),
    )
    custom_model_name: str | None = Field(
        default=None,
        json_schema_extra=_ui(
            type="text",
            placeholder="my-model",
            description="Model name the custom endpoint expects",
            visible_when=_VISIBLE_FOR_CUSTOM,
        ),
    )
    custom_api_key: str | None = Field(
        default=None,
        json_schema_extra=_ui(
            type="password",
            placeholder="sk-...",
            description="API key for the custom endpoint",
            visible_when=_VISIBLE_FOR_CUSTOM,
        ),
    )
    # Filled in by the client from the user's settings, not edited as a form field.
    apiKeys: dict[str, str] | None = Field(
        default=None,
        description="Provider keys by environment variable name, e.g. OPENAI_API_KEY.",
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest:
            raise ValueError("must be an http:// or https:// URL")
        return value

    @property
    def effective_system_prompt(self) -> str:
        return self.system_prompt if self.system_prompt.strip() else DEFAULT_SYSTEM_PROMPT


def parse_graph_config(config: RunnableConfig | None) -> GraphConfig:
    """Validate a run's `configurable`, raising GraphConfigError that names each bad field."""
    configurable = (config or {}).get("configurable") or {}
    try:
        return GraphConfig.model_validate(configurable)
    except ValidationError as exc:
        raise GraphConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors(include_url=False):
        field = ".".join(str(part) for part in error["loc"]) or "configurable"
        problems.append(f"{field}: {error['msg']}")
    return "; ".join(problems)
