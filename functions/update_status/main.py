"""update_status: report the ERP's result for a request to ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.core.pubsub import Publisher
from shared.entry.runtime import Runtime
from shared.push.envelope import PushMessage
from shared.push.handler import handle_push
from shared.push.settings import PushSettings
from shared.push.status import read_status

RUNTIME = Runtime(PushSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _report(message: PushMessage) -> dict[str, Any]:
    update = read_status(message.data)
    RUNTIME.client.update_status(update)
    return {"requestId": update.request_id, "reported": update.status.value}


@functions_framework.http
def update_status(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the status topic."""
    return handle_push(request, RUNTIME, PUBLISHER, _report)
