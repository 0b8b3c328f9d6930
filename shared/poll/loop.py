"""Drain ROIT's pending queue into the pending topic without losing a document.

ROIT marks an entity PROCESSING as soon as it returns it, so every entity of a page ends in
exactly one of three places:

* the pending topic (Pub/Sub acknowledged the publish);
* the pending dead-letter topic, with ``error`` / ``reason`` (ROIT sent something that can
  never be published: :mod:`shared.poll.triage`, or Pub/Sub refused the message as such);
* back in ROIT's queue (publishing failed for a passing reason: the entity is handed back with
  ROIT's ``reprocess``, and the run stops, since publishing is broken).

Anything that fits none of them is named in the summary (``failedRequestIds``) and in an
ERROR log line. A page's request ids are logged as soon as it arrives, before anything that
could be cut short. A pending call is never retried once ROIT may have answered it: such a page
is reported as ``page_may_be_lost``. No page is asked for once the time budget is spent.

The drain is pipelined: while a page is being published, the next one is already being
fetched. If publishing then fails, that next page is handed back whole, never published. The
targets are drained concurrently (at most :data:`MAX_PARALLEL_TARGETS` at a time).

This loop is the one writer of the run's summary: each page is routed by
:class:`~shared.poll.route.PageRouter`, which returns what became of it, and the loop adds that
to the target's counts, stop reason and error (a failure code, never a class name).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass

from shared.core import deadline
from shared.core.errors import Failure, RoitError
from shared.core.logs import get_logger, log_context
from shared.core.pubsub import Publisher
from shared.entry.failures import http_answer, report
from shared.poll.handback import hand_back_reserve_s
from shared.poll.route import PageRouter, log_page
from shared.poll.sink import Sink
from shared.poll.summary import PageResult, PollSummary, Stop, TargetSummary
from shared.poll.targets import PollTarget
from shared.roit.client import RoitClient
from shared.roit.pages import Page

__all__ = ["MAX_PARALLEL_TARGETS", "Poller"]

log = get_logger("poller")
MAX_PARALLEL_TARGETS = 4


@dataclass
class _Fetched:
    page: Page | None = None
    error: RoitError | None = None


class _InFlight:
    """A page being fetched (or, the first of a target, already fetched); :meth:`settle`
    waits for it (once)."""

    def __init__(self, future: Future[_Fetched] | None, fetched: _Fetched | None = None) -> None:
        self._future = future
        self._fetched = fetched

    def settle(self) -> _Fetched:
        if self._fetched is None:
            assert self._future is not None
            self._fetched = self._future.result()
        return self._fetched


def _nothing() -> None:
    return None


@dataclass
class Poller:
    """One poll run: its collaborators and limits."""

    client: RoitClient
    publisher: Publisher
    topic: str
    dead_letter_topic: str
    correlation_id: str
    hand_back_workers: int = 8
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._pages = PageRouter(
            client=self.client,
            pending=Sink(self.publisher, self.topic),
            dead=Sink(self.publisher, self.dead_letter_topic),
            correlation_id=self.correlation_id,
            hand_back_workers=self.hand_back_workers,
        )
        self._stop = threading.Event()  # the run must stop: no target asks for another page

    def drain(
        self, targets: list[PollTarget], *, time_budget_s: float, max_pages: int
    ) -> PollSummary:
        """Poll every target until empty, the budget or deadline is spent, or the run breaks."""
        started = self.clock()
        summary = PollSummary(correlation_id=self.correlation_id)
        summary.targets = [TargetSummary(entity=e.value, type=t) for e, t in targets]
        until = started + time_budget_s

        def run(index: int, pair: PollTarget) -> None:
            target = summary.targets[index]
            if self._stop.is_set():
                target.stopped = Stop.SKIPPED
                return
            with log_context(entity=target.entity, type=target.type):
                request = self.client.pending_request(*pair)
                if self._drain_target(index, target, request, until=until, max_pages=max_pages):
                    self._stop.set()

        if len(targets) == 1:  # no thread to start for the usual single target
            run(0, targets[0])
        else:
            workers = min(MAX_PARALLEL_TARGETS, len(targets))
            with ThreadPoolExecutor(workers, thread_name_prefix="poll-target") as pool:
                jobs = [
                    pool.submit(copy_context().run, run, index, pair)
                    for index, pair in enumerate(targets)
                ]
                for job in jobs:
                    job.result()
        for index, result in self._pages.hand_back_repeats():
            _add(summary.targets[index], result)
        summary.elapsed_s = self.clock() - started
        return summary

    # ------------------------------------------------------------------ one target

    def _drain_target(
        self, index: int, target: TargetSummary, request: bytes, *, until: float, max_pages: int
    ) -> bool:
        """Drain one target, fetching the next page while publishing the current one.

        Returns:
            True when the whole run must stop.
        """
        asked = 0
        repeating = False  # a page brought nothing new: ROIT repeats itself, ask no more
        with ThreadPoolExecutor(1, thread_name_prefix="poll-fetch") as fetcher:

            def fetch_next() -> _InFlight | None:
                nonlocal asked
                stop = Stop.NOTHING_NEW if repeating else None
                stop = stop or self._may_not_fetch(asked, until=until, max_pages=max_pages)
                if stop is not None:
                    target.stopped = stop
                    return None
                asked += 1  # counted when asked for: the cap holds with a page in flight
                if asked == 1:  # the first page is fetched here: an empty queue starts no thread
                    return _InFlight(None, self._fetch(request))
                return _InFlight(fetcher.submit(copy_context().run, self._fetch, request))

            upcoming = fetch_next()
            while upcoming is not None:
                fetched = upcoming.settle()
                if fetched.error is not None:
                    return self._pending_failed(target, fetched.error)
                page = fetched.page
                assert page is not None
                if page.items is None:
                    result = self._pages.unreadable(page)
                    _add(target, result)
                    return result.stop_run
                if not page.items:
                    target.stopped = Stop.DRAINED
                    return False
                target.pages += 1
                target.fetched += len(page.items)
                log_page(target.pages, page.items)
                upcoming = fetch_next()  # in flight while this page is published
                settle = upcoming.settle if upcoming is not None else _nothing
                result = self._pages.route(index, page.items, settle=settle)
                _add(target, result)
                fields = {
                    "page": target.pages,
                    "published": target.published,
                    "deadLettered": target.dead_lettered,
                }
                log.info("page handled", extra={"fields": fields})
                if not result.stop_run:
                    if result.duplicates == len(page.items) and not repeating:
                        repeating = True  # ROIT repeats itself: ask for no further page
                        log.warning(
                            "ROIT's page held only entities already taken in this run; "
                            "the target stops after the page in flight",
                            extra={"fields": {"page": target.pages, "items": len(page.items)}},
                        )
                    continue
                if upcoming is not None:
                    fetched = upcoming.settle()
                    whole = self._pages.hand_back_whole(target.pages, fetched.page, fetched.error)
                    _add(target, whole)
                return True
        return False

    def _may_not_fetch(self, asked: int, *, until: float, max_pages: int) -> Stop | None:
        """Why no further page may be asked for, if any (checked before each request)."""
        if self._stop.is_set():
            return Stop.RUN_STOPPED
        if asked >= max_pages:
            return Stop.MAX_PAGES
        if self.clock() >= until:
            return Stop.TIME_BUDGET
        if deadline.remaining() <= hand_back_reserve_s(self.client):  # no time to publish it
            return Stop.DEADLINE
        return None

    def _fetch(self, request: bytes) -> _Fetched:
        try:
            return _Fetched(page=self.client.pending_page(request))
        except RoitError as exc:
            return _Fetched(error=exc)
        except Exception as exc:  # noqa: BLE001 - a bug: the page ROIT handed out may be lost
            report(log, exc, "reading a pending page failed", {})
            message = f"unexpected error reading the page ({type(exc).__name__})"
            return _Fetched(error=RoitError(message, ambiguous=True))

    def _pending_failed(self, target: TargetSummary, error: RoitError) -> bool:
        """The pending call failed: what it means for the page and the run."""
        target.error = http_answer(error).code
        if error.failure is Failure.CONFIGURATION:
            target.stopped = Stop.CONFIG_ERROR
            report(log, error, "pending call failed; the run stops", {})
            return True
        if error.failure is Failure.SECRET_STORE:  # every target needs the credentials
            target.stopped = Stop.SECRET_STORE
            report(log, error, "Secret Manager failed; the run stops", {})
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


def _add(target: TargetSummary, result: PageResult) -> None:
    """Count what became of a page in its target's summary (the summary's one writer)."""
    target.fetched += result.fetched
    target.published += result.published
    target.handed_back += result.handed_back
    target.dead_lettered += result.dead_lettered
    target.failed += result.failed
    target.duplicates += result.duplicates
    target.handed_back_repeats += result.handed_back_repeats
    target.handed_back_request_ids += result.handed_back_request_ids
    target.dead_lettered_request_ids += result.dead_lettered_request_ids
    target.failed_request_ids += result.failed_request_ids
    if result.stop is not None:
        target.stopped = result.stop
    if result.error is not None:
        target.error = result.error
