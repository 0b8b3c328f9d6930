"""reprocess's settings: who vouches for a caller, and where the webhook secrets are."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.core.settings import RoitSettings, one_source, require_project
from shared.entry.integrations import parse_integration_ids
from shared.entry.webhook_secrets import parse_webhook_secrets

__all__ = ["CallerAuth", "ReprocessSettings"]


class CallerAuth(StrEnum):
    """Who vouches for a reprocess caller."""

    WEBHOOK = "webhook"  # every request signed the Standard Webhooks way
    IAM = "iam"  # the deployment is private; Cloud Run IAM authenticated the caller


class ReprocessSettings(RoitSettings):
    """reprocess."""

    reprocess_caller_auth: CallerAuth = CallerAuth.WEBHOOK
    webhook_secrets_secret: str | None = None
    webhook_secrets_file: str | None = None
    webhook_secrets: SecretStr | None = None
    partner_integration_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    _ids = field_validator("partner_integration_ids", mode="before")(parse_integration_ids)

    @field_validator("webhook_secrets")
    @classmethod
    def _valid_secrets(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_webhook_secrets(value.get_secret_value())  # raises ValueError naming the problem
        return value

    @model_validator(mode="after")
    def _webhook_secret_source(self) -> ReprocessSettings:
        if self.reprocess_caller_auth is CallerAuth.WEBHOOK:
            one_source(
                ("ROIT_WEBHOOK_SECRETS_FILE", self.webhook_secrets_file),
                ("ROIT_WEBHOOK_SECRETS_SECRET", self.webhook_secrets_secret),
                ("ROIT_WEBHOOK_SECRETS", self.webhook_secrets),
                needed_by="ROIT_REPROCESS_CALLER_AUTH=webhook",
            )
        if self.webhook_secrets_secret:
            require_project(
                self.webhook_secrets_secret,
                self.gcp_project,
                "ROIT_WEBHOOK_SECRETS_SECRET",
                "secret",
            )
        return self
