"""update_status: report the ERP's result for a request to ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.core.pubsub import Publisher
from shared.entry.runtime import Runtime
from shared.idempotency import store_for
from shared.push.envelope import PushMessage
from shared.push.handler import handle_push
from shared.push.once import Effect, once
from shared.push.settings import PushSettings
from shared.push.status import read_status

RUNTIME = Runtime(PushSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use
STORE = store_for(RUNTIME.settings)  # no client until the first message


def _report(message: PushMessage, effect: Effect) -> dict[str, Any]:
    update = read_status(message.data)
    if not effect.newest(update.request_id, message):  # an older status, after a newer one
        return {"requestId": update.request_id, "skipped": "older_than_applied"}
    RUNTIME.client.update_status(update)
    return {"requestId": update.request_id, "reported": update.status.value}


REPORT_ONCE = once(STORE, "update_status", RUNTIME.settings.max_message_age_s, _report)


@functions_framework.http
def update_status(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the status topic."""
    return handle_push(request, RUNTIME, PUBLISHER, REPORT_ONCE)
