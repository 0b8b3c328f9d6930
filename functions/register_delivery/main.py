"""register_delivery: register master / transactional data with ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.events import handle_push, message_json
from shared.models import DeliveryMessage, DeliveryRequest, parse_input
from shared.pubsub import Publisher, PushMessage
from shared.runtime import Runtime
from shared.settings import DeliverySettings

RUNTIME = Runtime(DeliverySettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _register(message: PushMessage) -> dict[str, Any]:
    delivery = parse_input(DeliveryMessage, message_json(message))
    size = RUNTIME.settings.delivery_max_batch
    batches = [delivery.data[i : i + size] for i in range(0, len(delivery.data), size)]
    for batch in batches:
        RUNTIME.client.register_delivery(
            DeliveryRequest(
                integration_id=delivery.integration_id or RUNTIME.settings.integration_id,
                entity=delivery.entity,
                data=batch,
                is_default=delivery.is_default,
                sub_entity=delivery.sub_entity,
            )
        )
    return {"entity": delivery.entity.value, "items": len(delivery.data), "calls": len(batches)}


@functions_framework.http
def register_delivery(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the deliveries topic."""
    return handle_push(request, RUNTIME, PUBLISHER, _register)
