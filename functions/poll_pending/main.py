"""poll_pending: drain ROIT's pending entities into the pending topic (Cloud Scheduler, OIDC)."""

from __future__ import annotations

import flask
import functions_framework

from shared.core.pubsub import Publisher
from shared.entry.handler import handle_http
from shared.entry.runtime import Runtime
from shared.idempotency import store_for
from shared.poll.run import run_poll
from shared.poll.settings import PollerSettings
from shared.poll.targets import PollRequest

RUNTIME = Runtime(PollerSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use
STORE = store_for(RUNTIME.settings)  # the lease: one run at a time across instances


def _poll(body: PollRequest) -> flask.Response:
    return run_poll(RUNTIME, PUBLISHER, STORE, body)


@functions_framework.http
def poll_pending(request: flask.Request) -> flask.Response:
    """Poll every configured (entity, type) pair; answers a JSON summary."""
    return handle_http(request, RUNTIME, PollRequest, _poll, allow_empty=True)
