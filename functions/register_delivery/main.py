"""register_delivery: register master / transactional data with ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.errors import RoitError
from shared.events import Decision, PermanentFailure, decide, handle_push, message_model
from shared.models import DeliveryMessage, DeliveryRequest
from shared.pubsub import Publisher, PushMessage
from shared.runtime import Runtime
from shared.settings import DeliverySettings

RUNTIME = Runtime(DeliverySettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use


def _register(message: PushMessage) -> dict[str, Any]:
    delivery = message_model(DeliveryMessage, message)
    size = RUNTIME.settings.delivery_max_batch
    starts = range(0, len(delivery.data), size)
    for sent in starts:
        try:
            RUNTIME.client.register_delivery(
                DeliveryRequest(
                    integration_id=delivery.integration_id or RUNTIME.settings.integration_id,
                    entity=delivery.entity,
                    data=delivery.data[sent : sent + size],
                    is_default=delivery.is_default,
                    sub_entity=delivery.sub_entity,
                )
            )
        except RoitError as exc:
            decision, code = decide(exc)
            if sent and decision is Decision.DEAD_LETTER:
                # Earlier batches are registered: dead-letter only what is not, so a replay
                # of the dead letter sends nothing twice.
                rest = delivery.model_copy(update={"data": delivery.data[sent:]})
                raise PermanentFailure(
                    exc.message,
                    code=code,
                    data=rest.model_dump_json(by_alias=True, exclude_none=True).encode(),
                    attributes={"itemsDelivered": str(sent), "itemsTotal": str(len(delivery.data))},
                ) from exc
            raise
    return {"entity": delivery.entity.value, "items": len(delivery.data), "calls": len(starts)}


@functions_framework.http
def register_delivery(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the deliveries topic."""
    return handle_push(request, RUNTIME, PUBLISHER, _register)
