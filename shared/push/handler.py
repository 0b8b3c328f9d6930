"""Every Pub/Sub-fed function's edge: read the pushed message, run the handler, answer Pub/Sub.

The decision itself is :func:`shared.entry.failures.push_decision`: a message that can never succeed
is published to the dead-letter topic with ``error`` / ``reason`` attributes (its original
attributes kept, whatever their names; only those Pub/Sub itself refuses are dropped) and then
acknowledged; anything else answers non-2xx so Pub/Sub redelivers with backoff. If the dead
letter cannot be written, the message is not acknowledged. The whole invocation runs inside
the function's deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import flask
from pydantic import BaseModel

from shared.core import deadline
from shared.core.budget import instance_caps
from shared.core.errors import Failure, InvalidInputError, PermanentFailure, PublishError, RoitError
from shared.core.jsonwalk import json_values
from shared.core.logs import get_logger, log_context, sanitize
from shared.core.pubsub import Publisher, fit_attribute, message_problem
from shared.entry.failures import Decision, http_answer, push_decision, report
from shared.entry.http import error_response, json_body, json_response
from shared.entry.runtime import Runtime
from shared.push.envelope import PushMessage, read_push
from shared.push.settings import PushSettings

__all__ = ["handle_push"]

M = TypeVar("M", bound=BaseModel)

log = get_logger("events")
_MAX_ATTRIBUTES = 100  # Pub/Sub's most attributes on one message
# Pub/Sub's largest message (10 MB) grows by a third in base64, plus attributes and envelope.
MAX_PUSH_BYTES = (10 * 1024 * 1024) * 4 // 3 + 512 * 1024
_MAX_ENVELOPE_VALUES = 10_000  # Pub/Sub's envelope: a few fields and at most 100 attributes


def handle_push(
    request: flask.Request,
    runtime: Runtime[Any],
    publisher: Publisher,
    handler: Callable[[PushMessage], dict[str, Any]],
) -> flask.Response:
    """Run ``handler`` on a pushed message and answer Pub/Sub with the decision.

    Args:
        request: the push request (raw envelope or CloudEvent).
        runtime: the function's runtime; its settings are ``PushSettings``.
        publisher: publishes to the dead-letter topic.
        handler: does the work; returns a small JSON-able summary.
    """
    settings: PushSettings = runtime.settings
    with runtime.request_context(request), deadline.deadline_scope(settings.invocation_s):
        try:  # the body is not kept: the message data alone is held from here on
            body = _non_empty(json_body(request, max_bytes=MAX_PUSH_BYTES, keep=False))
            if json_values(body) > _MAX_ENVELOPE_VALUES:  # base64 data counts for nothing
                raise InvalidInputError("the push envelope holds too many JSON values")
            message = read_push(body, dict(request.headers))
            del body
        except RoitError as exc:  # not from Pub/Sub: the caller's mistake, nothing to keep
            response = error_response(exc)
            log.warning(
                "push request refused: not a Pub/Sub push envelope",
                extra={"fields": {"status": response.status_code, "reason": exc.message}},
            )
            return response
        correlation_id = message.attributes.get("correlationId")
        with log_context(
            messageId=message.message_id,
            subscription=message.subscription,
            deliveryAttempt=message.delivery_attempt,
            requestId=message.attributes.get("requestId"),
            **({"correlationId": correlation_id} if correlation_id else {}),
        ):
            age = message.age_s()
            try:
                if age is not None and age > settings.max_message_age_s:
                    raise PermanentFailure(
                        f"message is {age:.0f}s old, over ROIT_MAX_MESSAGE_AGE_S", code="too_old"
                    )
                if json_values(message.data) > (cap := instance_caps(settings).message_values):
                    raise PermanentFailure(  # what parsing it would cost: checked before it
                        f"message data holds more than {cap} JSON values (ROIT_MAX_MESSAGE_VALUES "
                        "for this instance's memory and concurrency)",
                        code="invalid_message",
                    )
                result = handler(message)
            except Exception as exc:  # noqa: BLE001 - every failure gets a decision
                return _on_failure(settings, publisher, message, exc)
            log.info("message handled", extra={"fields": result})
            return json_response({"status": "ok", "messageId": message.message_id, **result})


def _non_empty(body: bytes) -> bytes:
    if not body.strip():
        raise InvalidInputError("body is empty; send a Pub/Sub push envelope")
    return body


def _dead_letter_attributes(
    message: PushMessage, error: Exception, code: str, reason: str
) -> dict[str, str]:
    override = error if isinstance(error, PermanentFailure) else None
    attributes = {
        **message.attributes,
        **(override.attributes if override else {}),
        "error": code,
        "reason": fit_attribute(reason),
        "originalMessageId": fit_attribute(message.message_id),
        "failedAt": datetime.now(UTC).isoformat(),
    }
    if message.subscription:
        attributes["sourceSubscription"] = fit_attribute(message.subscription)
    return attributes


def _on_failure(
    settings: PushSettings, publisher: Publisher, message: PushMessage, error: Exception
) -> flask.Response:
    decision, code = push_decision(error)
    reason = sanitize(error.message) if isinstance(error, RoitError) else "unexpected error"
    fields = {"error": code, "decision": decision.value}
    if decision is Decision.RETRY:
        report(log, error, "message failed; Pub/Sub will redeliver", fields)
        headers = http_answer(error).headers or None
        return json_response({"status": "retry", "error": code}, 503, headers)
    data = error.data if isinstance(error, PermanentFailure) and error.data is not None else None
    attributes = _dead_letter_attributes(message, error, code, reason)
    try:
        dead_letter_id = _publish_dead_letter(
            publisher, settings.dead_letter_topic, data or message.data, attributes, message
        )
    except PublishError as exc:
        report(log, exc, "dead-letter publish failed; not acknowledging", fields)
        return json_response({"status": "retry", "error": "dead_letter_unavailable"}, 503)
    log.warning(
        "message dead-lettered",
        extra={
            "fields": {
                **fields,
                "event": "dead_lettered",
                "reason": reason,
                "deadLetterId": dead_letter_id,
            }
        },
    )
    return json_response(
        {
            "status": "dead_lettered",
            "messageId": message.message_id,
            "error": code,
            "reason": reason,
            "deadLetterMessageId": dead_letter_id,
        }
    )


def _publish_dead_letter(
    publisher: Publisher,
    topic: str,
    data: bytes,
    attributes: dict[str, str],
    message: PushMessage,
) -> str:
    """Publish the dead letter; if Pub/Sub refuses the added attributes (too many, too large
    together), keep the original attributes and only the error code; if it refuses the
    original attributes themselves (a ``goog`` key, one too long …), keep those it accepts."""
    try:
        return publisher.publish(topic, data, attributes)
    except PublishError as exc:
        if exc.failure is not Failure.INPUT:
            raise
    fallback = {**message.attributes, "error": attributes["error"]}
    try:
        return publisher.publish(topic, data, fallback)
    except PublishError as exc:
        if exc.failure is not Failure.INPUT:
            raise
    try:
        return publisher.publish(topic, data, dict(message.attributes))
    except PublishError as exc:
        if exc.failure is not Failure.INPUT:
            raise
    accepted = [(k, v) for k, v in message.attributes.items() if not message_problem(b"-", {k: v})]
    kept = dict(accepted[: _MAX_ATTRIBUTES - 2])
    return publisher.publish(
        topic, data, {**kept, "error": attributes["error"], "droppedAttributes": "true"}
    )
