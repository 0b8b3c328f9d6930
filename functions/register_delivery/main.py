"""register_delivery: register master / transactional data with ROIT (Pub/Sub push)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.core.pubsub import Publisher
from shared.entry.runtime import Runtime
from shared.idempotency import store_for
from shared.push.delivery import register
from shared.push.envelope import PushMessage
from shared.push.handler import handle_push
from shared.push.once import Effect, once
from shared.push.settings import DeliverySettings

RUNTIME = Runtime(DeliverySettings)
PUBLISHER = Publisher(RUNTIME.settings.gcp_project)  # the client is built on first use
STORE = store_for(RUNTIME.settings)  # no client until the first message


def _register(message: PushMessage, effect: Effect) -> dict[str, Any]:
    return register(RUNTIME.client, RUNTIME.settings, PUBLISHER, message, effect)


REGISTER_ONCE = once(STORE, "register_delivery", RUNTIME.settings.max_message_age_s, _register)


@functions_framework.http
def register_delivery(request: flask.Request) -> flask.Response:
    """Pub/Sub push endpoint of the deliveries topic."""
    return handle_push(request, RUNTIME, PUBLISHER, REGISTER_ONCE)
