"""Drain ROIT's pending queue into the pending topic without losing a document.

ROIT marks an entity PROCESSING as soon as it returns it, so every entity of a page ends in
exactly one of three places before the next page is asked for:

* the pending topic (Pub/Sub acknowledged the publish);
* back in ROIT's queue (publishing failed for a passing reason: the entity is handed back with
  ``reprocess``, and the drain stops, since publishing is broken);
* the pending dead-letter topic, with ``error`` / ``reason`` (ROIT sent something the connector
  cannot read, or Pub/Sub refuses the message as such — retrying would fail forever).

Anything that fits none of them is named in the summary and in an ERROR log line. A pending
call is never retried once ROIT may have answered it (see ``RoitClient.pending_body``): such a
page is reported as ``page_may_be_lost``. New pages are not asked for once the time budget is spent.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from shared.client import RoitClient
from shared.errors import MalformedResponseError, RoitError
from shared.logs import get_logger, log_context
from shared.models import PendingEntity, PendingItem, StrictModel, unwrap_list
from shared.pubsub import Publisher, fit_attribute
from shared.targets import PollTarget, parse_targets

__all__ = [
    "PollRequest",
    "PollSummary",
    "Poller",
    "TargetSummary",
    "pending_attributes",
]

log = get_logger("poller")
MAX_MESSAGE_BYTES = 9 * 1024 * 1024  # under Pub/Sub's 10 MB, leaving room for attributes


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
    dead_lettered: int = 0
    failed: int = 0
    pages: int = 0
    stopped: str = "drained"
    error: str | None = None
    requeued_request_ids: list[str] = field(default_factory=list)
    dead_lettered_request_ids: list[str] = field(default_factory=list)
    failed_request_ids: list[str] = field(default_factory=list)


@dataclass
class PollSummary:
    """The run's summary: one entry per target, and whether anything needs attention."""

    correlation_id: str
    targets: list[TargetSummary] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def publish_failed(self) -> bool:
        """Some entity did not reach the pending topic (requeued, dead-lettered or failed)."""
        return any(t.requeued or t.dead_lettered or t.failed for t in self.targets)

    @property
    def roit_failed(self) -> bool:
        """Some target stopped on a ROIT error (or a page was lost)."""
        return any(t.error for t in self.targets)

    def to_json(self) -> dict[str, Any]:
        """The JSON the function returns."""
        keys = ("fetched", "published", "requeued", "dead_lettered", "failed")
        return {
            "correlationId": self.correlation_id,
            "elapsedS": round(self.elapsed_s, 3),
            "totals": _camel({k: sum(getattr(t, k) for t in self.targets) for k in keys}),
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
    """The attributes every pending message carries (strings within Pub/Sub's limit)."""
    record = item.record
    values = {
        "entity": record.entity,
        "type": record.type,
        "requestId": record.request_id,
        "reference": record.reference,
        "integrationId": record.integration_id or integration_id,
        "correlationId": correlation_id,
    }
    return {k: fit_attribute(str(v)) for k, v in values.items() if v not in (None, "")}


def _encode(raw: Any) -> bytes:
    # ensure_ascii: still the JSON ROIT sent, and a lone surrogate cannot break the encoding
    return json.dumps(raw, separators=(",", ":")).encode("ascii")


def _encode_for_dead_letter(raw: Any) -> bytes:
    """What a dead letter carries: the entity as ROIT sent it, or a stub naming it."""
    try:
        data = _encode(raw)
    except (ValueError, TypeError, RecursionError):
        data = b""
    if not data or len(data) > MAX_MESSAGE_BYTES:  # ROIT still has it all; keep what names it
        request_id = raw.get("requestId") if isinstance(raw, dict) else None
        data = _encode({"requestId": str(request_id) if request_id else None, "truncated": True})
    return data


def _permanent(error: BaseException) -> bool:
    """Pub/Sub refused the message itself (size, attributes): publishing again cannot help."""
    return isinstance(error, ValueError | TypeError) or type(error).__name__ in (
        "InvalidArgument",
        "MessageTooLargeError",
    )


@dataclass
class Poller:
    """One poll run's collaborators and limits."""

    client: RoitClient
    publisher: Publisher
    topic: str
    dead_letter_topic: str
    correlation_id: str
    requeue_workers: int = 8
    clock: Callable[[], float] = time.monotonic
    dead_letter_broken: bool = False

    def drain(
        self, targets: list[PollTarget], *, time_budget_s: float, max_pages: int
    ) -> PollSummary:
        """Poll every target until empty, the budget is spent, or publishing breaks."""
        started = self.clock()
        summary = PollSummary(correlation_id=self.correlation_id)
        broken = False
        for entity, doc_type in targets:
            target = TargetSummary(entity=entity.value, type=doc_type)
            summary.targets.append(target)
            if broken:
                target.stopped = "skipped_after_publish_failure"
                continue
            with log_context(entity=entity.value, type=doc_type):
                broken = self._drain_target(
                    target, entity, doc_type, deadline=started + time_budget_s, max_pages=max_pages
                )
        summary.elapsed_s = self.clock() - started
        return summary

    def _drain_target(
        self,
        target: TargetSummary,
        entity: PendingEntity,
        doc_type: str | None,
        *,
        deadline: float,
        max_pages: int,
    ) -> bool:
        """Drain one target; returns True when publishing broke (the run must stop)."""
        while True:
            if target.pages >= max_pages:
                target.stopped = "max_pages"
                return False
            if self.clock() >= deadline:
                target.stopped = "time_budget"
                return False
            try:
                answer = self.client.pending_body(entity, doc_type)
            except RoitError as exc:
                lost = bool(getattr(exc, "ambiguous", False))
                target.stopped = "page_may_be_lost" if lost else "roit_error"
                target.error = type(exc).__name__
                log.log(
                    logging.ERROR if lost else logging.WARNING,
                    "pending call failed"
                    + ("; ROIT may have handed out a page that never arrived" if lost else ""),
                    extra={"fields": {"error": exc.message}},
                )
                return False
            try:
                raw_items = unwrap_list(answer)
            except MalformedResponseError as exc:
                self._dead_letter_page(target, answer, exc.message)
                return self.dead_letter_broken
            if not raw_items:
                return False
            target.pages += 1
            target.fetched += len(raw_items)
            try:
                broken = self._handle_page(target, raw_items)
            except Exception as exc:  # noqa: BLE001 - a bug must not hide where the page went
                self._page_failed(target, raw_items, exc)
                return True
            if broken:
                target.stopped = "publish_failed"
                return True

    def _page_failed(self, target: TargetSummary, raw_items: list[Any], error: Exception) -> None:
        """An unexpected error mid-page: name every entity of it, since where each one went
        is unknown (some may have been published)."""
        target.stopped, target.error = "page_failed", type(error).__name__
        ids = [str(raw.get("requestId")) for raw in raw_items if isinstance(raw, dict)]
        target.failed_request_ids.extend(ids)
        target.failed += len(raw_items)
        log.error(
            "unexpected error while handling a page: these entities may stay PROCESSING at ROIT",
            extra={"fields": {"requestIds": ids, "errorType": type(error).__name__}},
        )

    @property
    def _integration_id(self) -> str:
        return self.client.settings.integration_id

    def _handle_page(self, target: TargetSummary, raw_items: list[Any]) -> bool:
        """Publish a page; every entity ends published, dead-lettered, requeued or named."""
        readable: list[PendingItem] = []
        unreadable: list[tuple[Any, str]] = []
        for raw in raw_items:
            try:
                readable.append(PendingItem.from_raw(raw))
            except MalformedResponseError as exc:
                unreadable.append((raw, exc.message))
        messages: list[tuple[bytes, dict[str, str]]] = []
        too_large: list[tuple[PendingItem, str]] = []
        to_publish: list[PendingItem] = []
        for item in readable:
            try:
                data = _encode(item.raw)
                attrs = self._attributes(item)
            except (ValueError, TypeError, RecursionError) as exc:  # odd JSON from ROIT
                unreadable.append((item.raw, f"entity cannot be encoded ({type(exc).__name__})"))
                continue
            if len(data) > MAX_MESSAGE_BYTES:
                too_large.append((item, f"entity is {len(data)} bytes, over Pub/Sub's limit"))
                continue
            to_publish.append(item)
            messages.append((data, attrs))
        results = self.publisher.publish_many(self.topic, messages)
        published = sum(1 for r in results if not isinstance(r, BaseException))
        target.published += published
        refused = [
            (item, f"Pub/Sub refused the message ({type(r).__name__})")
            for item, r in zip(to_publish, results, strict=True)
            if isinstance(r, BaseException) and _permanent(r)
        ]
        retryable = [
            item
            for item, r in zip(to_publish, results, strict=True)
            if isinstance(r, BaseException) and not _permanent(r)
        ]
        fields = {"page": target.pages, "items": len(raw_items), "published": published}
        log.info("page handled", extra={"fields": fields})
        leftovers = self._dead_letter(target, unreadable, [*too_large, *refused])
        if retryable or leftovers:
            errors = sorted({type(r).__name__ for r in results if isinstance(r, BaseException)})
            self._requeue(target, [*retryable, *leftovers], errors)
        return bool(retryable or leftovers or self.dead_letter_broken)

    def _dead_letter(
        self,
        target: TargetSummary,
        unreadable: list[tuple[Any, str]],
        refused: list[tuple[PendingItem, str]],
    ) -> list[PendingItem]:
        """Dead-letter what can never be published; returns what could not even be that."""
        if not unreadable and not refused:
            return []
        messages: list[tuple[bytes, dict[str, str]]] = []
        for raw, reason in unreadable:
            messages.append(
                (_encode_for_dead_letter(raw), self._dead_attrs("unreadable_entity", reason))
            )
        for entity, reason in refused:
            attrs = {**self._attributes(entity), **self._dead_attrs("unpublishable_entity", reason)}
            messages.append((_encode_for_dead_letter(entity.raw), attrs))
        results = self.publisher.publish_many(self.dead_letter_topic, messages)
        leftovers: list[PendingItem] = []
        before = target.dead_lettered
        for index, result in enumerate(results):
            item: PendingItem | None = (
                refused[index - len(unreadable)][0] if index >= len(unreadable) else None
            )
            if not isinstance(result, BaseException):
                target.dead_lettered += 1
                if item is not None:
                    target.dead_lettered_request_ids.append(str(item.record.request_id))
            elif item is not None:
                leftovers.append(item)  # ROIT will hand it out again; logged as it is requeued
            else:
                raw = unreadable[index][0]
                request_id = raw.get("requestId") if isinstance(raw, dict) else None
                target.failed += 1
                if request_id is not None:
                    target.failed_request_ids.append(str(request_id))
                self.dead_letter_broken = True
                log.error(
                    "an unreadable pending entity could not be dead-lettered: it stays "
                    "PROCESSING at ROIT",
                    extra={"fields": {"error": type(result).__name__, "requestId": request_id}},
                )
        if count := target.dead_lettered - before:
            log.error(
                "pending entities dead-lettered",
                extra={"fields": {"count": count, "topic": self.dead_letter_topic}},
            )
        return leftovers

    def _attributes(self, item: PendingItem) -> dict[str, str]:
        return pending_attributes(
            item, integration_id=self._integration_id, correlation_id=self.correlation_id
        )

    def _dead_attrs(self, code: str, reason: str) -> dict[str, str]:
        return {
            "error": code,
            "reason": fit_attribute(reason),
            "integrationId": self._integration_id,
            "correlationId": self.correlation_id,
        }

    def _dead_letter_page(self, target: TargetSummary, answer: Any, reason: str) -> None:
        """ROIT answered with a shape the connector cannot read: keep the whole answer."""
        target.stopped, target.error = "page_unreadable", "MalformedResponseError"
        attrs = self._dead_attrs("unreadable_page", reason)
        (result,) = self.publisher.publish_many(
            self.dead_letter_topic, [(_encode_for_dead_letter(answer), attrs)]
        )
        if isinstance(result, BaseException):
            target.failed += 1
            self.dead_letter_broken = True
        else:
            target.dead_lettered += 1
        log.error(
            "ROIT's pending answer has no readable list; it was "
            + ("dead-lettered" if not isinstance(result, BaseException) else "LOST"),
            extra={"fields": {"reason": reason}},
        )

    def _requeue(self, target: TargetSummary, items: list[PendingItem], errors: list[str]) -> None:
        """Hand entities that were not published back to ROIT, in parallel."""
        ids = [str(item.record.request_id) for item in items]
        log.error(
            "publishing failed; handing entities back to ROIT",
            extra={"fields": {"requestIds": ids, "publishErrors": errors}},
        )

        def requeue(item: PendingItem) -> Exception | None:
            try:
                self.client.reprocess(
                    str(item.record.request_id), integration_id=item.record.integration_id
                )
            except Exception as exc:  # noqa: BLE001 - counted and named below
                return exc
            return None

        workers = max(1, min(self.requeue_workers, len(items)))
        contexts = [copy_context() for _ in items]  # the logs keep this run's context
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda c, i: c.run(requeue, i), contexts, items))
        for request_id, outcome in zip(ids, outcomes, strict=True):
            if outcome is None:
                target.requeued += 1
                target.requeued_request_ids.append(request_id)
            else:
                target.failed += 1
                target.failed_request_ids.append(request_id)
        if target.failed_request_ids:
            log.error(
                "could not requeue unpublished entities: they stay PROCESSING at ROIT",
                extra={"fields": {"requestIds": target.failed_request_ids}},
            )
