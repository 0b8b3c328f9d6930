"""poll_pending's settings: the topics, the targets and the run's limits."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from shared.core.settings import DEADLINE_RESERVE_S, RoitSettings, require_topic
from shared.poll.targets import ALL_DOCUMENTS, PollTarget, parse_targets

__all__ = ["PollerSettings"]


class PollerSettings(RoitSettings):
    """poll_pending."""

    function_timeout_s: int = Field(default=360, ge=10, le=3600)
    pending_topic: str = Field(min_length=1)
    dead_letter_topic: str = Field(min_length=1)
    poll_hand_back_workers: int = Field(default=8, ge=1, le=64)
    poll_targets: Annotated[list[PollTarget], NoDecode] = Field(
        default_factory=lambda: [ALL_DOCUMENTS]
    )
    poll_time_budget_s: float = Field(default=240, ge=1, le=3600)
    poll_max_pages: int = Field(default=1000, ge=1, le=100_000)

    @field_validator("poll_targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> list[PollTarget]:
        return parse_targets(value)

    @model_validator(mode="after")
    def _topics_and_budget(self) -> PollerSettings:
        require_topic(self.pending_topic, self.gcp_project, "ROIT_PENDING_TOPIC")
        require_topic(self.dead_letter_topic, self.gcp_project, "ROIT_DEAD_LETTER_TOPIC")
        if self.poll_time_budget_s + self.retry_budget_s + DEADLINE_RESERVE_S > (
            self.function_timeout_s
        ):
            raise ValueError(
                f"ROIT_POLL_TIME_BUDGET_S + ROIT_RETRY_BUDGET_S + {DEADLINE_RESERVE_S} s must "
                "fit in ROIT_FUNCTION_TIMEOUT_S (the last page must be handled in time)"
            )
        return self
