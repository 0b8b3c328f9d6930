"""register_delivery: register master / transactional data with ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.delivery import HAND_ON_RESERVE_S, Unfinished, deliver, hand_on, read_delivery
from shared.events import handle_push
from shared.idempotency import store_for
from shared.idempotency.push import Effect, once
from shared.pubsub import Publisher, PushMessage
from shared.runtime import Runtime
from shared.settings import DeliverySettings

RUNTIME = Runtime(DeliverySettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use
STORE = store_for(RUNTIME.settings)  # no client until the first message


def _register(message: PushMessage, effect: Effect) -> dict[str, Any]:
    settings = RUNTIME.settings
    delivery = read_delivery(message.data)
    summary = {"entity": delivery.header.entity.value, "itemsTotal": len(delivery.items)}
    # Time kept to hand the rest on; at most a quarter of the invocation, however short it is.
    reserve = min(HAND_ON_RESERVE_S, settings.invocation_s / 4) if settings.deliveries_topic else 0
    try:
        return deliver(  # resumes after the items an earlier attempt had delivered
            RUNTIME.client,
            delivery,
            batch_size=settings.delivery_max_batch,
            reserve_s=reserve,
            start=effect.progress,
            on_batch=effect.record,
        )
    except Unfinished as rest:
        if not settings.deliveries_topic:
            raise  # Pub/Sub redelivers the whole message
        return {**summary, **hand_on(PUBLISHER, settings.deliveries_topic, message, rest)}


REGISTER_ONCE = once(STORE, "register_delivery", RUNTIME.settings.max_message_age_s, _register)


@functions_framework.http
def register_delivery(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the deliveries topic."""
    return handle_push(request, RUNTIME, PUBLISHER, REGISTER_ONCE)
