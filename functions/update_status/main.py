"""update_status: report the ERP's result for a request to ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.events import handle_push
from shared.models import StatusUpdate
from shared.pubsub import Publisher, PushMessage
from shared.runtime import Runtime
from shared.settings import PushSettings

RUNTIME = Runtime(PushSettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _report(message: PushMessage) -> dict[str, Any]:
    update = StatusUpdate.read(message.data)
    RUNTIME.client.update_status(update)
    return {"requestId": update.request_id, "reported": update.status.value}


@functions_framework.http
def update_status(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the status topic."""
    return handle_push(request, RUNTIME, PUBLISHER, _report)
