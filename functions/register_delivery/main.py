"""register_delivery: register master / transactional data with ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.delivery import deliver, read_delivery
from shared.events import handle_push
from shared.pubsub import Publisher, PushMessage
from shared.runtime import Runtime
from shared.settings import DeliverySettings

RUNTIME = Runtime(DeliverySettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _register(message: PushMessage) -> dict[str, Any]:
    delivery = read_delivery(message.data)
    return deliver(RUNTIME.client, delivery, batch_size=RUNTIME.settings.delivery_max_batch)


@functions_framework.http
def register_delivery(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the deliveries topic."""
    return handle_push(request, RUNTIME, PUBLISHER, _register)
