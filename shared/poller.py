"""Drain ROIT's pending queue into the pending topic without losing a document.

ROIT marks an entity PROCESSING as soon as it returns it, so every entity of a page ends in
exactly one of three places before the run moves on:

* the pending topic (Pub/Sub acknowledged the publish);
* the pending dead-letter topic, with ``error`` / ``reason`` (ROIT sent something that can
  never be published: :mod:`shared.triage`, or Pub/Sub refused the message as such);
* back in ROIT's queue (publishing failed for a passing reason: the entity is handed back with
  ``reprocess``, and the run stops, since publishing is broken).

Anything that fits none of them is named in the summary (``failedRequestIds``) and in an
ERROR log line. A page's request ids are logged as soon as it arrives, before anything that
could be cut short. A pending call is never retried once ROIT may have answered it: such a page
is reported as ``page_may_be_lost``. No page is asked for once the time budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, field
from typing import Any

from shared import deadline
from shared.client import RoitClient
from shared.errors import Failure, MalformedResponseError, PublishError, RoitError
from shared.failures import report
from shared.logs import get_logger, log_context
from shared.models import unwrap_list
from shared.pollsummary import PollSummary, Stop, TargetSummary
from shared.pubsub import Publisher
from shared.sink import Sink
from shared.targets import PollTarget
from shared.triage import DeadLetter, Outgoing, dead_letter_attributes, dead_letter_data, triage

__all__ = ["Poller"]

log = get_logger("poller")
_LOGGED_IDS = 1000  # request ids named in one log line at most (Cloud Logging's entry limit)
_HandBack = tuple[str, str | None]  # (requestId, integrationId)


@dataclass
class Poller:
    """One poll run: its collaborators and limits."""

    client: RoitClient
    publisher: Publisher
    topic: str
    dead_letter_topic: str
    correlation_id: str
    requeue_workers: int = 8
    clock: Callable[[], float] = time.monotonic
    _seen: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._pending = Sink(self.publisher, self.topic)
        self._dead = Sink(self.publisher, self.dead_letter_topic)

    def drain(
        self, targets: list[PollTarget], *, time_budget_s: float, max_pages: int
    ) -> PollSummary:
        """Poll every target until empty, the budget or deadline is spent, or the run breaks."""
        started = self.clock()
        summary = PollSummary(correlation_id=self.correlation_id)
        stopped = False
        for entity, doc_type in targets:
            target = TargetSummary(entity=entity.value, type=doc_type)
            summary.targets.append(target)
            if stopped:
                target.stopped = Stop.SKIPPED
                continue
            with log_context(entity=entity.value, type=doc_type):
                request = self.client.pending_request(entity, doc_type)
                stopped = self._drain_target(
                    target, request, until=started + time_budget_s, max_pages=max_pages
                )
        summary.elapsed_s = self.clock() - started
        return summary

    def _drain_target(
        self, target: TargetSummary, request: bytes, *, until: float, max_pages: int
    ) -> bool:
        """Drain one target; returns True when the whole run must stop."""
        while True:
            if target.pages >= max_pages:
                target.stopped = Stop.MAX_PAGES
                return False
            if self.clock() >= until:
                target.stopped = Stop.TIME_BUDGET
                return False
            if deadline.remaining() <= 0:
                target.stopped = Stop.DEADLINE
                return False
            try:
                answer = self.client.pending_body(request)
            except RoitError as exc:
                return self._pending_failed(target, exc)
            try:
                raw_items = unwrap_list(answer)
            except MalformedResponseError as exc:
                return self._unreadable_page(target, answer, exc.message)
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
                target.stopped = Stop.PUBLISH_FAILED
                return True

    def _pending_failed(self, target: TargetSummary, error: RoitError) -> bool:
        """The pending call failed: what it means for the page and the run."""
        target.error = type(error).__name__
        if error.failure is Failure.CONFIGURATION:
            target.stopped = Stop.CONFIG_ERROR
            report(log, error, "pending call failed; the run stops", {})
            return True
        if error.ambiguous:  # first: even at the deadline, a page may have been handed out
            target.stopped = Stop.PAGE_MAY_BE_LOST
            log.error(
                "pending call failed after ROIT may have handed out a page that never arrived",
                extra={"fields": {"event": "page_may_be_lost", "reason": error.message}},
            )
        elif error.failure is Failure.DEADLINE:
            target.stopped = Stop.DEADLINE
        else:
            target.stopped = Stop.ROIT_ERROR
            log.warning("pending call failed", extra={"fields": {"reason": error.message}})
        return False

    def _handle_page(self, target: TargetSummary, raw_items: list[Any]) -> bool:
        """Publish a page; every entity ends published, dead-lettered, handed back or named.

        Returns:
            True when a topic failed (the run must stop).
        """
        ids = [str(raw.get("requestId")) for raw in raw_items if isinstance(raw, dict)]
        fields = {"page": target.pages, "items": len(raw_items), "requestIds": ids[:_LOGGED_IDS]}
        log.info("page received", extra={"fields": fields})
        integration_id = self.client.settings.integration_id
        page = triage(
            raw_items,
            integration_id=integration_id,
            correlation_id=self.correlation_id,
            seen=self._seen,
        )
        self._seen.update(item.request_id for item in page.publish)
        target.duplicates += len(page.duplicates)
        outcomes = self._pending.send([(item.data, item.attributes) for item in page.publish])
        letters, back = list(page.dead), []
        broken: PublishError | None = None
        for item, outcome in zip(page.publish, outcomes, strict=True):
            if isinstance(outcome, str):
                target.published += 1
            elif outcome.failure is Failure.INPUT:
                letters.append(self._refused(item, outcome))
            else:
                back.append((item.request_id, item.integration_id))
                broken = outcome
        broken = self._dead_letter(target, letters, back) or broken
        log.info("page handled", extra={"fields": {"page": target.pages, **_counts(target)}})
        if back:
            self._hand_back(target, back, broken.message if broken else "publishing failed")
        return broken is not None

    def _refused(self, item: Outgoing, error: PublishError) -> DeadLetter:
        extra = dead_letter_attributes(
            "unpublishable_entity",
            error.message,
            integration_id=self.client.settings.integration_id,
            correlation_id=self.correlation_id,
        )
        return DeadLetter(item.request_id, item.data, {**item.attributes, **extra}, readable=True)

    def _dead_letter(
        self, target: TargetSummary, letters: list[DeadLetter], back: list[_HandBack]
    ) -> PublishError | None:
        """Dead-letter ``letters``; what cannot be is handed back (it has a request id) or
        named as failed. Returns the dead-letter topic's error, if it failed."""
        broken: PublishError | None = None
        outcomes = self._dead.send([(letter.data, letter.attributes) for letter in letters])
        for letter, outcome in zip(letters, outcomes, strict=True):
            if isinstance(outcome, str):
                target.dead_lettered += 1
                if letter.request_id:
                    target.dead_lettered_request_ids.append(letter.request_id)
                continue
            broken = broken or outcome
            if letter.readable and letter.request_id:
                back.append((letter.request_id, None))
                continue
            target.failed += 1
            if letter.request_id:
                target.failed_request_ids.append(letter.request_id)
            log.error(
                "an unreadable pending entity could not be dead-lettered: it stays PROCESSING",
                extra={"fields": {"requestId": letter.request_id, "reason": outcome.message}},
            )
        if target.dead_lettered:
            fields = {"count": target.dead_lettered, "topic": self.dead_letter_topic}
            log.error("pending entities dead-lettered", extra={"fields": fields})
        return broken

    def _unreadable_page(self, target: TargetSummary, answer: Any, reason: str) -> bool:
        """ROIT answered with a shape the connector cannot read: keep the whole answer."""
        target.stopped, target.error = Stop.PAGE_UNREADABLE, "MalformedResponseError"
        attributes = dead_letter_attributes(
            "unreadable_page",
            reason,
            integration_id=self.client.settings.integration_id,
            correlation_id=self.correlation_id,
        )
        (outcome,) = self._dead.send([(dead_letter_data(answer), attributes)])
        kept = isinstance(outcome, str)
        if kept:
            target.dead_lettered += 1
        else:
            target.failed += 1
        fields = {"reason": reason} if kept else {"reason": reason, "event": "page_may_be_lost"}
        log.error(
            "ROIT's pending answer has no readable list; it was "
            + ("dead-lettered" if kept else "LOST: the dead-letter topic failed"),
            extra={"fields": fields},
        )
        return not kept

    def _page_failed(self, target: TargetSummary, raw_items: list[Any], error: Exception) -> None:
        """An unexpected error mid-page: name every entity of it, since where each one went
        is unknown (some may have been published)."""
        target.stopped, target.error = Stop.PAGE_FAILED, type(error).__name__
        ids = [str(raw.get("requestId")) for raw in raw_items if isinstance(raw, dict)]
        target.failed_request_ids.extend(ids)
        target.failed += len(raw_items)
        report(
            log,
            error,
            "a page failed: these entities may stay PROCESSING at ROIT",
            {"requestIds": ids[:_LOGGED_IDS]},
        )

    def _hand_back(self, target: TargetSummary, items: list[_HandBack], reason: str) -> None:
        """Hand entities that are on no topic back to ROIT, in parallel, within the deadline."""
        ids = [request_id for request_id, _ in items]
        log.error(
            "publishing failed; handing entities back to ROIT",
            extra={"fields": {"requestIds": ids[:_LOGGED_IDS], "reason": reason}},
        )

        def hand_back(item: _HandBack) -> RoitError | None:
            try:
                self.client.reprocess(item[0], integration_id=item[1])
            except RoitError as exc:
                return exc
            return None

        workers = max(1, min(self.requeue_workers, len(items)))
        contexts = [copy_context() for _ in items]  # each keeps this run's logs and deadline
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(lambda c, i: c.run(hand_back, i), contexts, items))
        failed = []
        for request_id, outcome in zip(ids, outcomes, strict=True):
            if outcome is None:
                target.requeued += 1
                target.requeued_request_ids.append(request_id)
            else:
                failed.append(request_id)
        if failed:
            target.failed += len(failed)
            target.failed_request_ids.extend(failed)
            log.error(
                "could not hand entities back: they stay PROCESSING at ROIT",
                extra={"fields": {"requestIds": failed[:_LOGGED_IDS]}},
            )


def _counts(target: TargetSummary) -> dict[str, int]:
    return {
        "published": target.published,
        "deadLettered": target.dead_lettered,
        "duplicates": target.duplicates,
    }
