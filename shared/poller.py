"""Drain ROIT's pending queue into the pending topic without losing a document.

ROIT marks an entity PROCESSING as soon as it returns it, so for each page the poller publishes
every entity and waits for Pub/Sub's acknowledgement before asking for the next page. Entities
whose publish failed are handed back to ROIT with ``reprocess`` (which puts them back in the
queue) and named in the summary; the drain then stops, since publishing is broken. New pages
are not asked for once the time budget is spent, so the run ends inside the function timeout.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from shared.client import RoitClient
from shared.errors import RoitError
from shared.logs import get_logger, log_context
from shared.models import PendingEntity, PendingItem, StrictModel
from shared.pubsub import Publisher
from shared.settings import PollTarget, parse_targets

__all__ = ["PollRequest", "PollSummary", "TargetSummary", "drain", "pending_attributes"]

log = get_logger("poller")


class PollRequest(StrictModel):
    """Optional body of a poll: override the configured targets or page cap for one run."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    targets: list[PollTarget] | None = None
    max_pages: int | None = Field(default=None, alias="maxPages", ge=1, le=10_000)

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> list[PollTarget] | None:
        return None if value is None else parse_targets(value)


@dataclass
class TargetSummary:
    """What happened for one (entity, type) pair."""

    entity: str
    type: str | None
    fetched: int = 0
    published: int = 0
    requeued: int = 0
    failed: int = 0
    pages: int = 0
    stopped: str = "drained"
    error: str | None = None
    requeued_request_ids: list[str] = field(default_factory=list)
    failed_request_ids: list[str] = field(default_factory=list)


@dataclass
class PollSummary:
    """The run's summary: one entry per target, and whether anything is left to worry about."""

    correlation_id: str
    targets: list[TargetSummary] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def publish_failed(self) -> bool:
        """Some entity could not be published (requeued or not)."""
        return any(t.requeued or t.failed for t in self.targets)

    @property
    def roit_failed(self) -> bool:
        """Some target stopped on a ROIT error."""
        return any(t.error for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        """The JSON the function returns."""
        totals = {
            k: sum(getattr(t, k) for t in self.targets)
            for k in ("fetched", "published", "requeued", "failed")
        }
        return {
            "correlationId": self.correlation_id,
            "elapsedS": round(self.elapsed_s, 3),
            "totals": totals,
            "targets": [_camel(asdict(t)) for t in self.targets],
        }


def _camel(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in d.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = value
    return out


def pending_attributes(
    item: PendingItem, *, integration_id: str, correlation_id: str
) -> dict[str, str]:
    """The attributes every pending message carries (values as strings, empty ones left out)."""
    record = item.record
    values = {
        "entity": record.entity,
        "type": record.type,
        "requestId": record.request_id,
        "reference": record.reference,
        "integrationId": record.integration_id or integration_id,
        "correlationId": correlation_id,
    }
    return {k: str(v) for k, v in values.items() if v not in (None, "")}


def drain(
    client: RoitClient,
    publisher: Publisher,
    *,
    topic: str,
    targets: list[PollTarget],
    time_budget_s: float,
    max_pages: int,
    correlation_id: str,
    clock: Callable[[], float] = time.monotonic,
) -> PollSummary:
    """Poll every target until empty, the budget is spent, or publishing breaks."""
    started = clock()
    summary = PollSummary(correlation_id=correlation_id)
    broken = False
    for entity, doc_type in targets:
        target = TargetSummary(entity=entity.value, type=doc_type)
        summary.targets.append(target)
        if broken:
            target.stopped = "skipped_after_publish_failure"
            continue
        with log_context(entity=entity.value, type=doc_type):
            broken = _drain_target(
                client, publisher, target, entity, doc_type,
                topic=topic, deadline=started + time_budget_s, max_pages=max_pages,
                correlation_id=correlation_id, clock=clock,
            )  # fmt: skip
    summary.elapsed_s = clock() - started
    return summary


def _drain_target(
    client: RoitClient,
    publisher: Publisher,
    target: TargetSummary,
    entity: PendingEntity,
    doc_type: str | None,
    *,
    topic: str,
    deadline: float,
    max_pages: int,
    correlation_id: str,
    clock: Callable[[], float],
) -> bool:
    """Drain one target; returns True when publishing failed (the run must stop)."""
    integration_id = client.settings.integration_id
    while True:
        if target.pages >= max_pages:
            target.stopped = "max_pages"
            return False
        if clock() >= deadline:
            target.stopped = "time_budget"
            return False
        try:
            items = client.pending(entity, doc_type)
        except RoitError as exc:
            target.stopped, target.error = "roit_error", type(exc).__name__
            log.warning("pending call failed", extra={"fields": {"error": exc.message}})
            return False
        if not items:
            return False
        target.pages += 1
        target.fetched += len(items)
        messages = [
            (
                json.dumps(item.raw, ensure_ascii=False, separators=(",", ":")).encode(),
                pending_attributes(
                    item, integration_id=integration_id, correlation_id=correlation_id
                ),
            )
            for item in items
        ]
        results = publisher.publish_many(topic, messages)
        failures = [isinstance(r, BaseException) for r in results]
        unpublished = [item for item, bad in zip(items, failures, strict=True) if bad]
        target.published += len(items) - len(unpublished)
        log.info(
            "page published",
            extra={
                "fields": {"page": target.pages, "items": len(items), "failed": len(unpublished)}
            },
        )
        if unpublished:
            errors = {type(r).__name__ for r in results if isinstance(r, BaseException)}
            _requeue(client, target, unpublished, errors)
            target.stopped = "publish_failed"
            return True


def _requeue(
    client: RoitClient, target: TargetSummary, items: list[PendingItem], errors: set[str]
) -> None:
    log.error(
        "publishing failed; handing the page's unpublished entities back to ROIT",
        extra={"fields": {"count": len(items), "publishErrors": sorted(errors)}},
    )
    for item in items:
        request_id = str(item.record.request_id)
        try:
            client.reprocess(request_id, integration_id=item.record.integration_id)
        except RoitError as exc:
            target.failed += 1
            target.failed_request_ids.append(request_id)
            log.error(
                "could not requeue an unpublished entity: it stays PROCESSING at ROIT",
                extra={"fields": {"requestId": request_id, "error": type(exc).__name__}},
            )
        else:
            target.requeued += 1
            target.requeued_request_ids.append(request_id)
