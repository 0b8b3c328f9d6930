"""One pending page, handled: every entity published, dead-lettered, handed back or named.

The decisions are :func:`shared.triage.triage` (what can be published) and the outcomes the
:class:`~shared.sink.Sink` returns per message; this module only routes each entity to where
those send it and counts it in the target's summary.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import deadline
from shared.client import RoitClient
from shared.errors import Failure, PublishError, RoitError
from shared.failures import report
from shared.handback import hand_back, hand_back_reserve_s
from shared.logs import get_logger
from shared.pages import Page
from shared.pollsummary import Stop, TargetSummary
from shared.sink import Sink
from shared.triage import DeadLetter, Outgoing, dead_letter_attributes, dead_letter_data, triage

__all__ = ["PageHandler", "log_page"]

log = get_logger("poller")
_LOGGED_IDS = 1000  # request ids named in one log line at most (Cloud Logging's entry limit)
_HandBack = tuple[str, str | None]  # (requestId, integrationId)


def log_page(target: TargetSummary, items: list[tuple[Any, bytes | None]]) -> None:
    """Name a page's entities, first thing when it arrives."""
    ids = [str(raw.get("requestId")) for raw, _ in items if isinstance(raw, dict)]
    fields = {"page": target.pages, "items": len(items), "requestIds": ids[:_LOGGED_IDS]}
    log.info("page received", extra={"fields": fields})


@dataclass
class PageHandler:
    """Where the pages of one run go; shared by the run's targets (thread-safe)."""

    client: RoitClient
    pending: Sink
    dead: Sink
    correlation_id: str
    requeue_workers: int = 8
    _seen: set[str] = field(default_factory=set)
    _seen_lock: threading.Lock = field(default_factory=threading.Lock)
    _repeats: dict[str, tuple[TargetSummary, str | None]] = field(default_factory=dict)

    @property
    def integration_id(self) -> str:
        """The integration the run's entities belong to by default."""
        return self.client.settings.integration_id

    def handle(
        self,
        target: TargetSummary,
        items: list[tuple[Any, bytes | None]],
        *,
        settle: Callable[[], object] = lambda: None,
    ) -> bool:
        """Publish a page; every entity ends published, dead-lettered, handed back or named.

        Args:
            target: the target's summary, updated.
            items: the page, each item with its bytes as ROIT sent them.
            settle: called before anything is handed back, so that a page still being
                fetched cannot be handed what is handed back now.

        Returns:
            True when the run must stop (a topic failed, or the page failed unexpectedly).
        """
        try:
            return self._publish_page(target, items, settle)
        except Exception as exc:  # noqa: BLE001 - a bug must not hide where the page went
            target.error = type(exc).__name__
            ids = [str(raw.get("requestId")) for raw, _ in items if isinstance(raw, dict)]
            target.failed_request_ids.extend(ids)
            target.failed += len(items)
            report(log, exc, "a page failed: its entities may stay PROCESSING", {"requestIds": ids})
            return True

    def _publish_page(
        self,
        target: TargetSummary,
        items: list[tuple[Any, bytes | None]],
        settle: Callable[[], object],
    ) -> bool:
        integration_id = self.integration_id
        with self._seen_lock:  # an entity seen by two targets is published once
            page = triage(
                items,
                integration_id=integration_id,
                correlation_id=self.correlation_id,
                seen=self._seen,
            )
            self._seen.update(item.request_id for item in page.publish)
            for request_id, owner in page.duplicates:  # handed back once, however often seen
                self._repeats.setdefault(request_id, (target, owner))
        target.duplicates += len(page.duplicates)
        # a hung Pub/Sub must leave the time a hand-back needs (:func:`hand_back_reserve_s`)
        with deadline.deadline_scope(deadline.remaining() - hand_back_reserve_s(self.client)):
            outcomes = self.pending.send([(item.data, item.attributes) for item in page.publish])
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
        fields = {
            "page": target.pages,
            "published": target.published,
            "deadLettered": target.dead_lettered,
        }
        log.info("page handled", extra={"fields": fields})
        if back:
            settle()
            self._hand_back(target, back, broken.message if broken else "publishing failed")
        return broken is not None

    def _refused(self, item: Outgoing, error: PublishError) -> DeadLetter:
        extra = dead_letter_attributes(
            "unpublishable_entity",
            error.message,
            integration_id=self.integration_id,
            correlation_id=self.correlation_id,
        )
        return DeadLetter(item.request_id, item.data, {**item.attributes, **extra}, readable=True)

    def _dead_letter(
        self, target: TargetSummary, letters: list[DeadLetter], back: list[_HandBack]
    ) -> PublishError | None:
        """Dead-letter ``letters``; what cannot be is handed back (it has a request id) or
        named as failed. Returns the dead-letter topic's error, if it failed."""
        broken: PublishError | None = None
        with deadline.deadline_scope(deadline.remaining() - hand_back_reserve_s(self.client)):
            outcomes = self.dead.send([(letter.data, letter.attributes) for letter in letters])
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
        if letters and target.dead_lettered:
            fields = {"count": target.dead_lettered, "topic": self.dead.topic}
            log.error("pending entities dead-lettered", extra={"fields": fields})
        return broken

    def unreadable(self, target: TargetSummary, page: Page) -> bool:
        """ROIT answered with a shape the connector cannot read: keep the whole answer."""
        target.stopped, target.error = Stop.PAGE_UNREADABLE, "MalformedResponseError"
        reason = page.problem or "no list in the answer"
        attributes = dead_letter_attributes(
            "unreadable_page",
            reason,
            integration_id=self.integration_id,
            correlation_id=self.correlation_id,
        )
        (outcome,) = self.dead.send([(dead_letter_data(page.answer), attributes)])
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

    def hand_back_whole(
        self, target: TargetSummary, page: Page | None, error: RoitError | None
    ) -> None:
        """The page fetched while the run broke: never published, every entity handed back."""
        if error is not None:
            if error.ambiguous:
                fields = {"event": "page_may_be_lost", "reason": error.message}
                log.error(
                    "the page asked for while publishing broke may have been handed out and lost",
                    extra={"fields": fields},
                )
            return
        if page is None or not page.items:
            return
        target.fetched += len(page.items)
        log_page(target, page.items)
        back: list[_HandBack] = []
        for raw, _ in page.items:
            request_id = raw.get("requestId") if isinstance(raw, dict) else None
            if isinstance(request_id, str | int) and not isinstance(request_id, bool):
                owner = raw.get("integrationId")
                back.append((str(request_id), owner if isinstance(owner, str) else None))
            else:
                target.failed += 1
        self._hand_back(target, back, "the run stopped before this page could be published")

    def hand_back_repeats(self) -> None:
        """Hand back what ROIT handed out a second time in this run (published once only).

        ROIT hands an entity out again when it was reprocessed meanwhile: left PROCESSING, that
        hand-out would never reach the ERP. Handed back once the run fetches nothing more (not
        at once: the next page would only bring it again), the next run publishes it.
        """
        by_target: dict[int, tuple[TargetSummary, list[_HandBack]]] = {}
        for request_id, (target, owner) in self._repeats.items():
            by_target.setdefault(id(target), (target, []))[1].append((request_id, owner))
        for target, items in by_target.values():
            self._hand_back(target, items, "ROIT handed it out again in this run", repeats=True)
        self._repeats.clear()

    def _hand_back(
        self, target: TargetSummary, items: list[_HandBack], reason: str, repeats: bool = False
    ) -> None:
        ids = [request_id for request_id, _ in items]
        fields = {"requestIds": ids[:_LOGGED_IDS], "reason": reason}
        if not repeats:
            log.error("publishing failed; handing entities back to ROIT", extra={"fields": fields})
        else:
            log.info("handing entities back to ROIT", extra={"fields": fields})
        failed = hand_back(self.client, items, workers=self.requeue_workers)
        target.requeued += len(items) - len(failed)
        if repeats:
            target.requeued_repeats += len(items) - len(failed)
        target.requeued_request_ids.extend(i for i in ids if i not in failed)
        if failed:
            target.failed += len(failed)
            target.failed_request_ids.extend(failed)
            log.error(
                "could not hand entities back: they stay PROCESSING at ROIT",
                extra={"fields": {"requestIds": failed[:_LOGGED_IDS]}},
            )
