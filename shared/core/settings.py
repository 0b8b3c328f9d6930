"""Settings: read once from ``ROIT_*`` environment variables, validated at cold start.

Each function reads the class for its needs (``PollerSettings``, ``PushSettings`` …); a missing
or invalid variable raises :class:`~shared.core.errors.ConfigurationError` naming the variable. The
limits Terraform also knows (function timeout, retry budget, poll budget, message age, delivery
batch) are the ``Field`` bounds and cross-checks below; ``terraform/variables.tf`` validates
exactly the same, and ``tests/terraform`` fails when the two disagree.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from shared.core.errors import ConfigurationError

__all__ = [
    "DEADLINE_RESERVE_S",
    "AuthScheme",
    "ClientAuth",
    "IdempotencyBackend",
    "LogLevel",
    "RoitSettings",
    "TokenRequestFormat",
    "load_settings",
    "require_project",
    "require_topic",
]

ENV_PREFIX = "ROIT_"

DEADLINE_RESERVE_S = 5
"""Seconds of a function's timeout kept back from its work: an invocation's deadline is its
start + ``ROIT_FUNCTION_TIMEOUT_S`` - this, so the answer (or a dead letter) still goes out."""

Seconds = Annotated[float, Field(gt=0, le=86_400)]

_TOPIC_ID = r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}"
_TOPIC = re.compile(rf"^(?:projects/[^/\s]+/topics/)?{_TOPIC_ID}$")


class AuthScheme(StrEnum):
    """How the token goes into the ``Authorization`` header (UNCONFIRMED upstream)."""

    RAW = "raw"
    BEARER = "bearer"


class TokenRequestFormat(StrEnum):
    """How the token request's body is encoded."""

    JSON = "json"  # {"clientId": ..., "clientSecret": ...} (the sandbox's default)
    FORM = "form"  # application/x-www-form-urlencoded, as OAuth2 client credentials


class ClientAuth(StrEnum):
    """Where the client credentials go in the token request."""

    BODY = "body"  # as two body fields
    BASIC = "basic"  # HTTP Basic (RFC 6749 §2.3.1)


class IdempotencyBackend(StrEnum):
    """Where the records that make effects happen once are kept."""

    MEMORY = "memory"  # per instance: replays and redeliveries reaching another one pass
    FIRESTORE = "firestore"  # shared by every instance (shared.idempotency.firestore)


class LogLevel(StrEnum):
    """``ROIT_LOG_LEVEL`` (any case); Terraform's ``log_level`` allows the same four."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class RoitSettings(BaseSettings):
    """What every function needs to talk to ROIT."""

    model_config = SettingsConfigDict(  # built on first use: a function builds only its own
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True, defer_build=True
    )

    base_url: str
    integration_id: str = Field(min_length=1, max_length=256)
    gcp_project: str | None = None
    function_timeout_s: int = Field(default=60, ge=10, le=3600)

    credentials_secret: str | None = None
    credentials_file: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    secret_manager_endpoint: str | None = None
    secret_ttl_s: Seconds = 300.0

    token_url: str = "/auth/api/v1/token"
    token_request_format: TokenRequestFormat = TokenRequestFormat.JSON
    token_client_auth: ClientAuth = ClientAuth.BODY
    token_client_id_field: str = Field(default="clientId", min_length=1)
    token_client_secret_field: str = Field(default="clientSecret", min_length=1)
    token_extra_fields: dict[str, str] = Field(default_factory=dict)
    token_response_field: str = Field(default="data.token", min_length=1)
    token_expires_in_field: str = Field(default="data.expiresIn", min_length=1)
    auth_scheme: AuthScheme = AuthScheme.RAW
    token_renew_before_s: Seconds = 300.0

    http_timeout_s: Seconds = 15.0
    http_connect_timeout_s: Seconds = 5.0
    max_response_bytes: int = Field(default=32 * 1024 * 1024, ge=1024 * 1024, le=512 * 1024**2)
    max_response_values: int = Field(default=1_000_000, ge=10_000, le=50_000_000)
    max_message_values: int = Field(default=1_000_000, ge=10_000, le=50_000_000)
    instance_memory_mib: int | None = Field(default=None, ge=128, le=32_768)  # shared.core.budget
    instance_concurrency: int | None = Field(default=None, ge=1, le=1000)
    retry_max_attempts: int = Field(default=5, ge=1, le=20)
    retry_budget_s: float = Field(default=30.0, ge=1, le=300)
    retry_backoff_base_s: Seconds = 0.5
    retry_backoff_max_s: Seconds = 8.0

    log_level: LogLevel = LogLevel.INFO

    @field_validator("log_level", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    idempotency_store: IdempotencyBackend = IdempotencyBackend.MEMORY
    idempotency_database: str = Field(default="(default)", min_length=1, max_length=63)
    idempotency_collection: str = Field(
        default="roit-idempotency", pattern=r"^[A-Za-z0-9_-]{1,100}$"
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("token_url")
    @classmethod
    def _token_url(cls, value: str) -> str:
        if "://" in value and not value.startswith(("http://", "https://")):
            raise ValueError("must be a path on ROIT_BASE_URL or an http(s):// URL")
        return value

    @field_validator("gcp_project")
    @classmethod
    def _default_project(cls, value: str | None) -> str | None:
        return value or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCP_PROJECT")

    @model_validator(mode="after")
    def _across_variables(self) -> RoitSettings:
        one_source(
            ("ROIT_CREDENTIALS_FILE", self.credentials_file),
            ("ROIT_CREDENTIALS_SECRET", self.credentials_secret),
            ("ROIT_CLIENT_ID and ROIT_CLIENT_SECRET", self.client_id and self.client_secret),
        )
        if self.credentials_secret:
            require_project(
                self.credentials_secret, self.gcp_project, "ROIT_CREDENTIALS_SECRET", "secret"
            )
        if self.idempotency_store is IdempotencyBackend.FIRESTORE and not self.gcp_project:
            raise ValueError("ROIT_IDEMPOTENCY_STORE=firestore needs ROIT_GCP_PROJECT")
        if self.retry_budget_s + DEADLINE_RESERVE_S > self.function_timeout_s:
            raise ValueError(
                f"ROIT_RETRY_BUDGET_S + {DEADLINE_RESERVE_S} s must fit in "
                "ROIT_FUNCTION_TIMEOUT_S (one ROIT call must be able to finish in time)"
            )
        return self

    @property
    def token_endpoint(self) -> str:
        """The token URL, absolute."""
        if self.token_url.startswith(("http://", "https://")):
            return self.token_url
        return f"{self.base_url}/{self.token_url.lstrip('/')}"

    @property
    def invocation_s(self) -> float:
        """How long one invocation may work: the function's timeout less the reserve."""
        return float(self.function_timeout_s - DEADLINE_RESERVE_S)


def one_source(*sources: tuple[str, object], needed_by: str = "") -> None:
    """One of ``sources`` (variable, value; the first set wins) is set, not both a file and a
    Secret Manager name; a mounted file's path is absolute."""
    given = [variable for variable, value in sources if value]
    if not given:
        names = ", or ".join(variable for variable, _ in sources)
        raise ValueError(f"{needed_by} needs one of {names}" if needed_by else f"set {names}")
    if len(given) > 1 and given[1].endswith("_SECRET"):
        raise ValueError(f"set {given[0]} or {given[1]}, not both")
    if given[0].endswith("_FILE") and not os.path.isabs(str(dict(sources)[given[0]])):
        raise ValueError(f"{given[0]} must be an absolute path (where the secret is mounted)")


def require_project(name: str, project: str | None, variable: str, kind: str = "topic") -> None:
    if not name.startswith("projects/") and not project:
        raise ValueError(
            f"{variable} is a short {kind} name: set ROIT_GCP_PROJECT, or give a full path"
        )


def require_topic(name: str, project: str | None, variable: str) -> None:
    """A topic Pub/Sub would accept, so that a later refusal is about a message, not the topic."""
    if not _TOPIC.match(name) or name.rsplit("/", 1)[-1].lower().startswith("goog"):
        raise ValueError(
            f"{variable} is not a valid topic: an id of 3-255 letters, digits or -_.~+% "
            "starting with a letter (not 'goog'), or projects/PROJECT/topics/ID"
        )
    require_project(name, project, variable)


S = TypeVar("S", bound=RoitSettings)


def _env_name(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "ROIT_* (see docs/configuration.md)"
    return f"{ENV_PREFIX}{str(loc[0]).upper()}"


def load_settings(cls: type[S]) -> S:
    """Read and validate ``cls`` from the environment.

    Raises:
        ConfigurationError: naming each missing or invalid variable (never its value).
    """
    try:
        return cls()
    except ValidationError as exc:
        problems, names = [], []
        for err in exc.errors(include_url=False, include_input=False):
            if not err["loc"]:  # a check across variables names them in its message
                problems.append(err["msg"].removeprefix("Value error, "))
                continue
            names.append(_env_name(err["loc"]))
            what = "is required" if err["type"] == "missing" else err["msg"]
            problems.append(f"{names[-1]}: {what}")
        message = "invalid settings: " + "; ".join(problems)
        raise ConfigurationError(message, setting=", ".join(names) or None) from None
    except SettingsError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
