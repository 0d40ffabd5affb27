"""Every environment variable the runtime reads, validated once at start-up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=None, case_sensitive=False, extra="ignore", populate_by_name=True
    )

    host: str = "0.0.0.0"
    port: int = Field(default=8123, ge=1, le=65535)
    log_level: LogLevel = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"
    cors_allow_origins: str = "*"
    n_jobs_per_worker: int = Field(default=10, ge=1, le=1000)
    shutdown_timeout: int = Field(default=30, ge=0)

    database_url: str | None = None
    database_pool_min_size: int = Field(default=2, ge=0)
    # Each of the `n_jobs_per_worker` runs can hold two at once (a checkpoint written in the
    # background while its step's writes go in), besides the requests'.
    database_pool_max_size: int = Field(default=20, ge=1)
    database_pool_timeout: float = Field(default=30.0, gt=0)
    # How long start-up keeps retrying an unreachable database before giving up.
    database_connect_timeout: float = Field(default=15.0, gt=0)
    # Off behind a transaction-mode pooler that does not keep prepared statements per client
    # (PgBouncer before 1.21, or without `max_prepared_statements`).
    database_prepared_statements: bool = True

    supabase_url: str | None = None
    supabase_key: str | None = None
    supabase_secret: str | None = None
    supabase_jwt_secret: str | None = None

    openai_api_key: str | None = None
    anthropic_api_key: str | None = None
    google_api_key: str | None = None
    custom_api_key: str | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    google_base_url: str | None = None
    model_max_retries: int = Field(default=2, ge=0, le=10)

    graphs: dict[str, str] = Field(
        default_factory=dict,
        alias="AGENT_RUNTIME_GRAPHS",
        description='Extra graphs as JSON: {"graph_id": "module:attribute"}.',
    )

    build_commit: str | None = Field(default=None, alias="GIT_COMMIT")
    build_date: str | None = Field(default=None, alias="BUILD_DATE")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "database_url",
        "supabase_url",
        "supabase_key",
        "supabase_secret",
        "supabase_jwt_secret",
        "openai_api_key",
        "anthropic_api_key",
        "google_api_key",
        "custom_api_key",
        "openai_base_url",
        "anthropic_base_url",
        "google_base_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def cors_origins(self) -> list[str]:
        return [o.strip() for o in self.cors_allow_origins.split(",") if o.strip()]

    @property
    def auth_enabled(self) -> bool:
        return bool(
            self.supabase_jwt_secret
            or (self.supabase_url and (self.supabase_key or self.supabase_secret))
        )

    @property
    def llm_configured(self) -> bool:
        return any(
            (self.openai_api_key, self.anthropic_api_key, self.google_api_key, self.custom_api_key)
        )


def load_settings() -> Settings:
    """Read the environment, turning validation errors into one message per bad variable."""
    try:
        return Settings()
    except SettingsError as exc:
        # Raised before validation, when a JSON-valued variable does not parse.
        names = [
            field.alias or name.upper()
            for name, field in Settings.model_fields.items()
            if f'"{name}"' in str(exc)
        ]
        raise ConfigError(
            f"Invalid configuration: {', '.join(names) or 'a variable'} is not valid JSON"
        ) from None
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            given = err.get("input")
            problems.append(f"{name}={given!r}: {err['msg']}")
        raise ConfigError("Invalid configuration: " + "; ".join(problems)) from None
