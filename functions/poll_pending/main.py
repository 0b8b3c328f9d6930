"""poll_pending: drain ROIT's pending entities into the pending topic (Cloud Scheduler, OIDC)."""

from __future__ import annotations

import flask
import functions_framework

from shared.http import json_response, read_json
from shared.logs import current_correlation_id
from shared.poller import Poller, PollRequest
from shared.pubsub import Publisher
from shared.runtime import Runtime
from shared.settings import PollerSettings

RUNTIME = Runtime(PollerSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _poll(request: flask.Request) -> flask.Response:
    settings = RUNTIME.settings
    body: PollRequest = read_json(request, PollRequest, allow_empty=True)
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
    # 503: some entities did not reach the pending topic (requeued / dead-lettered / failed,
    # named in the summary); 502: ROIT failed. Either way Cloud Scheduler records a failed run,
    # and running again is safe.
    status = 503 if summary.publish_failed else 502 if summary.roit_failed else 200
    return json_response(summary.to_json(), status)


@functions_framework.http
def poll_pending(request: flask.Request) -> flask.Response:
    """Poll every configured (entity, type) pair; answers a JSON summary."""
    return RUNTIME.serve(request, lambda: _poll(request))
