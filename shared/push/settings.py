"""Settings of the functions fed by a Pub/Sub push subscription (update_status,
register_delivery)."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.core.settings import RoitSettings, require_topic

__all__ = ["DeliverySettings", "PushSettings"]


class PushSettings(RoitSettings):
    """Functions fed by a Pub/Sub push subscription."""

    dead_letter_topic: str = Field(min_length=1)
    max_message_age_s: int = Field(default=86_400, ge=60, le=604_800)

    @model_validator(mode="after")
    def _topic_project(self) -> PushSettings:
        require_topic(self.dead_letter_topic, self.gcp_project, "ROIT_DEAD_LETTER_TOPIC")
        return self


class DeliverySettings(PushSettings):
    """register_delivery."""

    delivery_max_batch: int = Field(default=100, ge=1, le=1000)
    deliveries_topic: str | None = None

    @model_validator(mode="after")
    def _deliveries_topic_project(self) -> DeliverySettings:
        if self.deliveries_topic:
            require_topic(self.deliveries_topic, self.gcp_project, "ROIT_DELIVERIES_TOPIC")
        return self
