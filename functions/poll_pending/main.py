"""poll_pending: drain ROIT's pending entities into the pending topic (Cloud Scheduler, OIDC)."""

from __future__ import annotations

import logging
import threading

import flask
import functions_framework

from shared.http import json_response, read_json
from shared.idempotency import store_for
from shared.idempotency.lease import lease
from shared.logs import current_correlation_id, get_logger
from shared.poller import Poller
from shared.pollsummary import Outcome
from shared.pubsub import Publisher
from shared.runtime import Runtime
from shared.settings import PollerSettings
from shared.targets import PollRequest

RUNTIME = Runtime(PollerSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use
RUN = threading.Lock()  # one run at a time per instance: the fast path before the lease
STORE = store_for(RUNTIME.settings)  # the lease: one run at a time across instances
log = get_logger("poll_pending")
_LEVEL = {Outcome.OK: logging.INFO, Outcome.DEADLINE: logging.WARNING}  # anything else: ERROR


def _poll(request: flask.Request) -> flask.Response:
    body: PollRequest = read_json(request, PollRequest, allow_empty=True)
    if not RUN.acquire(blocking=False):
        return _overlap()
    try:
        with lease(STORE, "poll_pending") as held:  # the store failing: no run (503)
            return _run(body) if held else _overlap()
    finally:
        RUN.release()


def _overlap() -> flask.Response:
    log.warning(
        "poll run refused: another run is in progress",
        extra={"fields": {"event": "poll_overlap"}},
    )
    message = "another poll run is in progress; this one was not started"
    return json_response({"error": {"code": "poll_in_progress", "message": message}}, 409)


def _run(body: PollRequest) -> flask.Response:
    settings = RUNTIME.settings
    poller = Poller(
        client=RUNTIME.client,
        publisher=PUBLISHER,
        topic=settings.pending_topic,
        dead_letter_topic=settings.dead_letter_topic,
        correlation_id=current_correlation_id(),
        requeue_workers=settings.poll_requeue_workers,
    )
    summary = poller.drain(
        body.targets or settings.poll_targets,
        time_budget_s=settings.poll_time_budget_s,
        max_pages=body.max_pages or settings.poll_max_pages,
    )
    outcome = summary.outcome
    fields = {"event": "poll_run", "outcome": outcome.value, **summary.totals()}
    level = {Outcome.OK: logging.INFO, Outcome.DEADLINE: logging.WARNING}.get(
        outcome, logging.ERROR
    )
    log.log(level, "poll run finished", extra={"fields": fields})
    return json_response(summary.to_json(), summary.status)


@functions_framework.http
def poll_pending(request: flask.Request) -> flask.Response:
    """Poll every configured (entity, type) pair; answers a JSON summary."""
    return RUNTIME.serve(request, lambda: _poll(request))
