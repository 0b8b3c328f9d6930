"""Routing one pending page: every entity published, dead-lettered, handed back or named.

The decisions are :func:`shared.poll.triage.triage` (what can be published) and what the
:class:`~shared.poll.sink.Sink` says happened to each message; this module only routes each
entity to where those send it and returns what became of the page (a :class:`PageResult`).
The run's summary is written by the loop alone (:mod:`shared.poll.loop`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.core import deadline
from shared.core.errors import Failure, MalformedResponseError, PublishError, RoitError
from shared.core.logs import get_logger
from shared.entry.failures import http_answer, report
from shared.poll.handback import hand_back, hand_back_reserve_s
from shared.poll.sink import Sink
from shared.poll.summary import PageResult, Stop
from shared.poll.triage import (
    DeadLetter,
    Outgoing,
    dead_letter_attributes,
    dead_letter_data,
    triage,
)
from shared.roit.client import RoitClient
from shared.roit.pages import Page

__all__ = ["PageRouter", "log_page"]

log = get_logger("poller")
_LOGGED_IDS = 1000  # request ids named in one log line at most (Cloud Logging's entry limit)
_HandBack = tuple[str, str | None]  # (requestId, integrationId)


def log_page(page_number: int, items: list[tuple[Any, bytes | None]]) -> None:
    """Name a page's entities, first thing when it arrives."""
    ids = [str(raw.get("requestId")) for raw, _ in items if isinstance(raw, dict)]
    fields = {"page": page_number, "items": len(items), "requestIds": ids[:_LOGGED_IDS]}
    log.info("page received", extra={"fields": fields})


@dataclass
class PageRouter:
    """Where the pages of one run go; shared by the run's targets (thread-safe).

    It writes no summary: each call returns its page's :class:`PageResult`, and the entities
    ROIT handed out twice are kept per target (by index) until :meth:`hand_back_repeats`.
    """

    client: RoitClient
    pending: Sink
    dead: Sink
    correlation_id: str
    hand_back_workers: int = 8
    _seen: set[str] = field(default_factory=set)
    _seen_lock: threading.Lock = field(default_factory=threading.Lock)
    _repeats: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # id: target

    @property
    def integration_id(self) -> str:
        """The integration the run's entities belong to by default."""
        return self.client.settings.integration_id

    def route(
        self,
        target: int,
        items: list[tuple[Any, bytes | None]],
        *,
        settle: Callable[[], object] = lambda: None,
    ) -> PageResult:
        """Publish a page; every entity ends published, dead-lettered, handed back or named.

        Args:
            target: the index of the page's target in the run (its repeats are kept under it).
            items: the page, each item with its bytes as ROIT sent them.
            settle: called before anything is handed back, so that a page still being
                fetched cannot be handed what is handed back now.

        Returns:
            What became of the page; ``stop`` is set when the run must stop (a topic failed,
            or the page failed unexpectedly).
        """
        result = PageResult()
        try:
            self._publish_page(result, target, items, settle)
        except Exception as exc:  # noqa: BLE001 - a bug must not hide where the page went
            result.stop, result.error = Stop.PAGE_FAILED, http_answer(exc).code
            result.stop_run = True
            ids = [str(raw.get("requestId")) for raw, _ in items if isinstance(raw, dict)]
            result.failed_request_ids.extend(ids)
            result.failed += len(items)
            report(log, exc, "a page failed: its entities may stay PROCESSING", {"requestIds": ids})
        return result

    def _publish_page(
        self,
        result: PageResult,
        target: int,
        items: list[tuple[Any, bytes | None]],
        settle: Callable[[], object],
    ) -> None:
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
        result.duplicates += len(page.duplicates)
        # a hung Pub/Sub must leave the time a hand-back needs (:func:`hand_back_reserve_s`)
        with deadline.deadline_scope(deadline.remaining() - hand_back_reserve_s(self.client)):
            sent = self.pending.send([(item.data, item.attributes) for item in page.publish])
        letters, back = list(page.dead), []
        broken: PublishError | None = None
        for item, one in zip(page.publish, sent, strict=True):
            if isinstance(one, str):
                result.published += 1
            elif one.failure is Failure.INPUT:
                letters.append(self._refused(item, one))
            else:
                back.append((item.request_id, item.integration_id))
                broken = one
        if letters:
            broken = self._dead_letter(result, letters, back) or broken
        if back:
            settle()
            self._hand_back(result, back, broken.message if broken else "publishing failed")
        if broken is not None:
            result.stop, result.stop_run = Stop.PUBLISH_FAILED, True

    def _refused(self, item: Outgoing, error: PublishError) -> DeadLetter:
        extra = dead_letter_attributes(
            "unpublishable_entity",
            error.message,
            integration_id=self.integration_id,
            correlation_id=self.correlation_id,
        )
        return DeadLetter(item.request_id, item.data, {**item.attributes, **extra}, readable=True)

    def _dead_letter(
        self, result: PageResult, letters: list[DeadLetter], back: list[_HandBack]
    ) -> PublishError | None:
        """Dead-letter ``letters``; what cannot be is handed back (it has a request id) or
        named as failed. Returns the dead-letter topic's error, if it failed."""
        broken: PublishError | None = None
        with deadline.deadline_scope(deadline.remaining() - hand_back_reserve_s(self.client)):
            sent = self.dead.send([(letter.data, letter.attributes) for letter in letters])
        for letter, one in zip(letters, sent, strict=True):
            if isinstance(one, str):
                result.dead_lettered += 1
                if letter.request_id:
                    result.dead_lettered_request_ids.append(letter.request_id)
                continue
            broken = broken or one
            if letter.readable and letter.request_id:
                back.append((letter.request_id, None))
                continue
            result.failed += 1
            if letter.request_id:
                result.failed_request_ids.append(letter.request_id)
            log.error(
                "an unreadable pending entity could not be dead-lettered: it stays PROCESSING",
                extra={"fields": {"requestId": letter.request_id, "reason": one.message}},
            )
        if result.dead_lettered:
            fields = {"count": result.dead_lettered, "topic": self.dead.topic}
            log.error("pending entities dead-lettered", extra={"fields": fields})
        return broken

    def unreadable(self, page: Page) -> PageResult:
        """ROIT answered with a shape the connector cannot read: keep the whole answer."""
        result = PageResult(stop=Stop.PAGE_UNREADABLE)
        reason = page.problem or "no list in the answer"
        result.error = http_answer(MalformedResponseError(reason)).code
        attributes = dead_letter_attributes(
            "unreadable_page",
            reason,
            integration_id=self.integration_id,
            correlation_id=self.correlation_id,
        )
        (one,) = self.dead.send([(dead_letter_data(page.answer), attributes)])
        kept = isinstance(one, str)
        if kept:
            result.dead_lettered += 1
        else:
            result.failed += 1
        result.stop_run = not kept
        fields = {"reason": reason} if kept else {"reason": reason, "event": "page_may_be_lost"}
        log.error(
            "ROIT's pending answer has no readable list; it was "
            + ("dead-lettered" if kept else "LOST: the dead-letter topic failed"),
            extra={"fields": fields},
        )
        return result

    def hand_back_whole(
        self, page_number: int, page: Page | None, error: RoitError | None
    ) -> PageResult:
        """The page fetched while the run broke: never published, every entity handed back."""
        result = PageResult()
        if error is not None:
            if error.ambiguous:
                fields = {"event": "page_may_be_lost", "reason": error.message}
                log.error(
                    "the page asked for while publishing broke may have been handed out and lost",
                    extra={"fields": fields},
                )
            return result
        if page is None or not page.items:
            return result
        result.fetched += len(page.items)
        log_page(page_number, page.items)
        back: list[_HandBack] = []
        for raw, _ in page.items:
            request_id = raw.get("requestId") if isinstance(raw, dict) else None
            if isinstance(request_id, str | int) and not isinstance(request_id, bool):
                owner = raw.get("integrationId")
                back.append((str(request_id), owner if isinstance(owner, str) else None))
            else:
                result.failed += 1
        self._hand_back(result, back, "the run stopped before this page could be published")
        return result

    def hand_back_repeats(self) -> list[tuple[int, PageResult]]:
        """Hand back what ROIT handed out a second time in this run (published once only);
        returns what became of them, per target index.

        ROIT hands an entity out again when it was reprocessed meanwhile: left PROCESSING, that
        hand-out would never reach the ERP. Handed back once the run fetches nothing more (not
        at once: the next page would only bring it again), the next run publishes it.
        """
        by_target: dict[int, list[_HandBack]] = {}
        for request_id, (target, owner) in self._repeats.items():
            by_target.setdefault(target, []).append((request_id, owner))
        results = []
        for target, items in by_target.items():
            result = PageResult()
            self._hand_back(result, items, "ROIT handed it out again in this run", repeats=True)
            results.append((target, result))
        self._repeats.clear()
        return results

    def _hand_back(
        self, result: PageResult, items: list[_HandBack], reason: str, repeats: bool = False
    ) -> None:
        ids = [request_id for request_id, _ in items]
        fields = {"requestIds": ids[:_LOGGED_IDS], "reason": reason}
        if not repeats:
            log.error("publishing failed; handing entities back to ROIT", extra={"fields": fields})
        else:
            log.info("handing entities back to ROIT", extra={"fields": fields})
        failed = hand_back(self.client, items, workers=self.hand_back_workers)
        result.handed_back += len(items) - len(failed)
        if repeats:
            result.handed_back_repeats += len(items) - len(failed)
        result.handed_back_request_ids.extend(i for i in ids if i not in failed)
        if failed:
            result.failed += len(failed)
            result.failed_request_ids.extend(failed)
            log.error(
                "could not hand entities back: they stay PROCESSING at ROIT",
                extra={"fields": {"requestIds": failed[:_LOGGED_IDS]}},
            )
