"""Settings: read once from ``ROIT_*`` environment variables, validated at cold start.

Each function reads the class for its needs (``PollerSettings``, ``PushSettings`` …). A missing
or invalid variable raises :class:`~shared.errors.ConfigurationError` naming the variable, so a
misconfigured deployment fails at start-up rather than on the first request.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from shared.errors import ConfigurationError
from shared.models import PendingEntity

__all__ = [
    "AuthScheme",
    "CallerAuth",
    "DeliverySettings",
    "PollTarget",
    "PollerSettings",
    "PushSettings",
    "ReprocessSettings",
    "RoitSettings",
    "load_settings",
    "parse_targets",
]

ENV_PREFIX = "ROIT_"

PositiveSeconds = Annotated[float, Field(gt=0, le=86_400)]


class AuthScheme(StrEnum):
    """How the JWT goes into the ``Authorization`` header (UNCONFIRMED upstream)."""

    RAW = "raw"
    BEARER = "bearer"


class CallerAuth(StrEnum):
    """Who vouches for a reprocess caller."""

    WEBHOOK = "webhook"  # every request signed the Standard Webhooks way
    IAM = "iam"  # the deployment is private; Cloud Run IAM authenticated the caller


class RoitSettings(BaseSettings):
    """What every function needs to talk to ROIT."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, case_sensitive=False, extra="ignore", frozen=True
    )

    base_url: str
    integration_id: str = Field(min_length=1)
    gcp_project: str | None = None

    credentials_secret: str | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    secret_manager_endpoint: str | None = None
    secret_ttl_s: PositiveSeconds = 300.0

    token_url: str = "/auth/api/v1/token"
    token_client_id_field: str = Field(default="clientId", min_length=1)
    token_client_secret_field: str = Field(default="clientSecret", min_length=1)
    token_response_field: str = Field(default="data.token", min_length=1)
    auth_scheme: AuthScheme = AuthScheme.RAW
    token_renew_before_s: PositiveSeconds = 300.0

    http_timeout_s: PositiveSeconds = 15.0
    http_connect_timeout_s: PositiveSeconds = 5.0
    retry_max_attempts: int = Field(default=5, ge=1, le=20)
    retry_budget_s: PositiveSeconds = 30.0
    retry_backoff_base_s: PositiveSeconds = 0.5
    retry_backoff_max_s: PositiveSeconds = 8.0

    log_level: str = "INFO"

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("gcp_project")
    @classmethod
    def _default_project(cls, value: str | None) -> str | None:
        return value or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCP_PROJECT")

    @model_validator(mode="after")
    def _credentials_source(self) -> RoitSettings:
        if not self.credentials_secret and not (self.client_id and self.client_secret):
            raise ValueError(
                "set ROIT_CREDENTIALS_SECRET (Secret Manager), "
                "or ROIT_CLIENT_ID and ROIT_CLIENT_SECRET"
            )
        if self.credentials_secret:
            _require_project(
                self.credentials_secret, self.gcp_project, "ROIT_CREDENTIALS_SECRET", "secret"
            )
        return self

    @property
    def token_endpoint(self) -> str:
        """The token URL, absolute."""
        if self.token_url.startswith(("http://", "https://")):
            return self.token_url
        return f"{self.base_url}/{self.token_url.lstrip('/')}"


PollTarget = tuple[PendingEntity, str | None]
"""One (entity, type) pair to poll; type ``None`` asks for every type."""


_ALL_DOCUMENTS: PollTarget = (PendingEntity.DOCUMENT, None)


def parse_targets(raw: Any) -> list[PollTarget]:
    """``ENTITY[:TYPE],…`` (or a list of such strings) as (entity, type) pairs, no duplicates.

    Raises:
        ValueError: not a string or list of strings, an unknown entity, or no target at all.
    """
    if isinstance(raw, list) and all(isinstance(x, tuple) and len(x) == 2 for x in raw):
        raw = ",".join(f"{e}:{t or ''}" for e, t in raw)
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        raw = ",".join(raw)
    if not isinstance(raw, str):
        raise ValueError("must be ENTITY[:TYPE] strings, comma-separated or as a list")
    targets: list[PollTarget] = []
    for chunk in (c.strip() for c in str(raw).split(",")):
        if not chunk:
            continue
        entity, _, doc_type = chunk.partition(":")
        try:
            parsed = PendingEntity(entity.strip().upper())
        except ValueError:
            allowed = ", ".join(e.value for e in PendingEntity)
            raise ValueError(f"unknown entity {entity.strip()!r} (allowed: {allowed})") from None
        pair = (parsed, doc_type.strip().upper() or None)
        if pair not in targets:
            targets.append(pair)
    if not targets:
        raise ValueError("needs at least one ENTITY[:TYPE]")
    return targets


class PollerSettings(RoitSettings):
    """poll_pending."""

    pending_topic: str = Field(min_length=1)
    dead_letter_topic: str = Field(min_length=1)
    poll_requeue_workers: int = Field(default=8, ge=1, le=64)
    poll_targets: Annotated[list[PollTarget], NoDecode] = Field(
        default_factory=lambda: [_ALL_DOCUMENTS]
    )
    poll_time_budget_s: PositiveSeconds = 240.0
    poll_max_pages: int = Field(default=1000, ge=1)

    @field_validator("poll_targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> list[PollTarget]:
        return parse_targets(value)

    @model_validator(mode="after")
    def _topic_project(self) -> PollerSettings:
        _require_project(self.pending_topic, self.gcp_project, "ROIT_PENDING_TOPIC")
        _require_project(self.dead_letter_topic, self.gcp_project, "ROIT_DEAD_LETTER_TOPIC")
        return self


def _require_project(name: str, project: str | None, variable: str, kind: str = "topic") -> None:
    if not name.startswith("projects/") and not project:
        raise ValueError(
            f"{variable} is a short {kind} name: set ROIT_GCP_PROJECT, or give a full path"
        )


class PushSettings(RoitSettings):
    """Functions fed by a Pub/Sub push subscription."""

    dead_letter_topic: str = Field(min_length=1)
    max_message_age_s: PositiveSeconds = 86_400.0

    @model_validator(mode="after")
    def _topic_project(self) -> PushSettings:
        _require_project(self.dead_letter_topic, self.gcp_project, "ROIT_DEAD_LETTER_TOPIC")
        return self


class DeliverySettings(PushSettings):
    """register_delivery."""

    delivery_max_batch: int = Field(default=100, ge=1, le=10_000)


class ReprocessSettings(RoitSettings):
    """reprocess."""

    reprocess_caller_auth: CallerAuth = CallerAuth.WEBHOOK
    webhook_secrets_secret: str | None = None
    webhook_secrets: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_secret_source(self) -> ReprocessSettings:
        if self.reprocess_caller_auth is CallerAuth.WEBHOOK and not (
            self.webhook_secrets_secret or self.webhook_secrets
        ):
            raise ValueError(
                "ROIT_REPROCESS_CALLER_AUTH=webhook needs ROIT_WEBHOOK_SECRETS_SECRET "
                "or ROIT_WEBHOOK_SECRETS"
            )
        if self.webhook_secrets_secret:
            _require_project(
                self.webhook_secrets_secret,
                self.gcp_project,
                "ROIT_WEBHOOK_SECRETS_SECRET",
                "secret",
            )
        return self


S = TypeVar("S", bound=RoitSettings)


def _env_name(loc: tuple[int | str, ...]) -> str:
    if not loc:
        return "ROIT_* (see the settings table in README.md)"
    return f"{ENV_PREFIX}{str(loc[0]).upper()}"


def load_settings(cls: type[S]) -> S:
    """Read and validate ``cls`` from the environment.

    Raises:
        ConfigurationError: naming each missing or invalid variable (never its value).
    """
    try:
        return cls()
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False, include_input=False):
            name = _env_name(err["loc"])
            what = "is required" if err["type"] == "missing" else err["msg"]
            problems.append(f"{name}: {what}")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None
    except SettingsError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from None
