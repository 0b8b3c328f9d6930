"""The one decision every Pub/Sub-fed function makes: acknowledge, retry or dead-letter.

* A **transient** failure (ROIT 5xx / 429 / 401 / 408, timeouts, connection errors, anything
  unexpected) answers non-2xx, so Pub/Sub redelivers with backoff (and after its max delivery
  attempts, its own dead-letter policy takes over).
* A **permanent** failure — the message is invalid, ROIT refused it with another 4xx, or it
  is older than the configured maximum age — is published to the dead-letter topic with
  ``error`` / ``reason`` attributes and then acknowledged: neither retried forever nor lost.
  If that publish fails, the message is not acknowledged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import flask
from pydantic import BaseModel

from shared.errors import InvalidInputError, RoitError, RoitStatusError
from shared.http import error_response, json_response, read_json
from shared.logs import get_logger, log_context
from shared.models import parse_input
from shared.pubsub import Publisher, PushMessage, fit_attribute, parse_push
from shared.runtime import Runtime
from shared.settings import PushSettings

__all__ = [
    "Decision",
    "PermanentFailure",
    "decide",
    "handle_push",
    "message_json",
    "message_model",
]

M = TypeVar("M", bound=BaseModel)

log = get_logger("events")
# Pub/Sub's largest message (10 MB) grows by a third in base64, plus attributes and envelope.
MAX_PUSH_BYTES = (10 * 1024 * 1024) * 4 // 3 + 512 * 1024


class Decision(StrEnum):
    """What to do with a message whose handling failed."""

    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


class PermanentFailure(RoitError):
    """A handler's own verdict that a message can never succeed; carries an error code.

    Attributes:
        code: the ``error`` attribute of the dead letter.
        data: what to dead-letter instead of the original data (e.g. only the part of a
            message that was not delivered); ``None`` keeps the original.
        attributes: extra attributes for the dead letter.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        data: bytes | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.data = data
        self.attributes = attributes or {}


def decide(error: BaseException) -> tuple[Decision, str]:
    """Retry or dead-letter, and the error code to record.

    Dead-letter only when the message itself is at fault; anything on our side or ROIT's
    (including configuration and unexpected errors) is retried so no data is thrown away.
    """
    if isinstance(error, InvalidInputError):
        return Decision.DEAD_LETTER, "invalid_message"
    if isinstance(error, PermanentFailure):
        return Decision.DEAD_LETTER, error.code
    if isinstance(error, RoitStatusError) and not error.transient and error.status_code < 500:
        return Decision.DEAD_LETTER, f"roit_rejected_{error.status_code}"
    if isinstance(error, RoitError):
        return Decision.RETRY, type(error).__name__
    return Decision.RETRY, "unexpected"


def message_json(message: PushMessage) -> Any:
    """The message data as JSON.

    Raises:
        InvalidInputError: the data is not UTF-8 JSON.
    """
    try:
        return json.loads(message.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInputError("message data is not valid JSON (or nested too deeply)") from None


def message_model(model: type[M], message: PushMessage) -> M:
    """The message data parsed strictly into ``model``.

    Raises:
        InvalidInputError: not UTF-8 JSON, or not valid for ``model``.
    """
    return parse_input(model, message_json(message))


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
    with runtime.request_context(request):
        try:
            envelope = read_json(request, max_bytes=MAX_PUSH_BYTES)
            message = parse_push(envelope, dict(request.headers))
        except InvalidInputError as exc:  # not from Pub/Sub: the caller's mistake, nothing to keep
            return error_response(exc)
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
                result = handler(message)
            except Exception as exc:  # noqa: BLE001 - every failure gets a decision
                return _on_failure(runtime.settings, publisher, message, exc)
            log.info("message handled", extra={"fields": result})
            return json_response({"status": "ok", "messageId": message.message_id, **result})


def _on_failure(
    settings: PushSettings, publisher: Publisher, message: PushMessage, error: Exception
) -> flask.Response:
    decision, code = decide(error)
    reason = error.message if isinstance(error, RoitError) else "unexpected error"
    fields = {"error": code, "reason": reason, "decision": decision.value}
    if decision is Decision.RETRY:
        log.warning("message failed; Pub/Sub will redeliver", extra={"fields": fields})
        retry_after = getattr(error, "retry_after_s", None)
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
        return json_response({"status": "retry", "error": code, "reason": reason}, 503, headers)
    override = error if isinstance(error, PermanentFailure) else None
    attributes = {
        **message.attributes,
        **(override.attributes if override else {}),
        "error": code,
        "reason": fit_attribute(reason),
        "originalMessageId": message.message_id,
        "failedAt": datetime.now(UTC).isoformat(),
    }
    data = override.data if override and override.data is not None else message.data
    if message.subscription:
        attributes["sourceSubscription"] = message.subscription
    try:
        dead_letter_id = publisher.publish(settings.dead_letter_topic, data, attributes)
    except Exception as exc:  # noqa: BLE001 - any publish failure: do not acknowledge
        log.error(
            "dead-letter publish failed; not acknowledging",
            extra={"fields": {**fields, "publishError": type(exc).__name__}},
        )
        return json_response({"status": "retry", "error": "dead_letter_unavailable"}, 503)
    log.warning(
        "message dead-lettered", extra={"fields": {**fields, "deadLetterId": dead_letter_id}}
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
