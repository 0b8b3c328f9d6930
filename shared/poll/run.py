"""poll_pending's invocation: one run at a time (per instance, then across instances through
the idempotency store's lease), the run, its log line and answer."""

from __future__ import annotations

import logging
import threading

import flask

from shared.core.logs import current_correlation_id, get_logger
from shared.core.pubsub import Publisher
from shared.entry.http import json_response
from shared.entry.runtime import Runtime
from shared.idempotency.base import IdempotencyStore
from shared.idempotency.lease import lease
from shared.poll.loop import Poller
from shared.poll.settings import PollerSettings
from shared.poll.summary import RunOutcome
from shared.poll.targets import PollRequest

__all__ = ["run_poll"]

log = get_logger("poll_pending")
_RUN = threading.Lock()  # one run at a time per instance: the fast path before the lease
_LEVEL = {RunOutcome.OK: logging.INFO, RunOutcome.DEADLINE: logging.WARNING}  # else: ERROR


def run_poll(
    runtime: Runtime[PollerSettings],
    publisher: Publisher,
    store: IdempotencyStore,
    body: PollRequest,
) -> flask.Response:
    """Poll the request's targets (else the configured ones); answers the run's JSON summary,
    or 409 when another run is in progress (on this instance, or on another one: the lease in
    ``store``). The store failing: the run does not start (503)."""
    if not _RUN.acquire(blocking=False):
        return _overlap()
    try:
        with lease(store, "poll_pending") as held:
            if not held:
                return _overlap()
            return _run(runtime, publisher, body)
    finally:
        _RUN.release()


def _overlap() -> flask.Response:
    log.warning(
        "poll run refused: another run is in progress",
        extra={"fields": {"event": "poll_overlap"}},
    )
    message = "another poll run is in progress; this one was not started"
    return json_response({"error": {"code": "poll_in_progress", "message": message}}, 409)


def _run(
    runtime: Runtime[PollerSettings], publisher: Publisher, body: PollRequest
) -> flask.Response:
    settings = runtime.settings
    poller = Poller(
        client=runtime.client,
        publisher=publisher,
        topic=settings.pending_topic,
        dead_letter_topic=settings.dead_letter_topic,
        correlation_id=current_correlation_id(),
        hand_back_workers=settings.poll_hand_back_workers,
    )
    summary = poller.drain(
        body.targets or settings.poll_targets,
        time_budget_s=settings.poll_time_budget_s,
        max_pages=body.max_pages or settings.poll_max_pages,
    )
    outcome = summary.outcome
    fields = {"event": "poll_run", "outcome": outcome.value, **summary.totals()}
    log.log(_LEVEL.get(outcome, logging.ERROR), "poll run finished", extra={"fields": fields})
    return json_response(summary.to_json(), summary.status)
