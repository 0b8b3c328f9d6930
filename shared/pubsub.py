"""Pub/Sub: a lazily created publisher, and the push envelope in every form it arrives in.

``google.cloud.pubsub_v1`` is imported on first publish, so HTTP-only functions that import
this module for the envelope never pay for it. ``PUBSUB_EMULATOR_HOST`` is honoured by the
client library itself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared._lazy import Lazy
from shared.errors import ConfigurationError, InvalidInputError

__all__ = [
    "MAX_ATTRIBUTE_BYTES",
    "Publisher",
    "PushMessage",
    "fit_attribute",
    "parse_push",
    "topic_path",
]

MAX_ATTRIBUTE_BYTES = 1024
"""Pub/Sub refuses an attribute value longer than this (in UTF-8 bytes)."""


def fit_attribute(value: str) -> str:
    """``value`` as valid UTF-8 (a lone surrogate becomes ``?``) cut to what Pub/Sub accepts
    as an attribute, on a character boundary."""
    encoded = value.encode("utf-8", errors="replace")
    return encoded[:MAX_ATTRIBUTE_BYTES].decode("utf-8", errors="ignore")


def topic_path(topic: str, project: str | None) -> str:
    """``projects/P/topics/T`` for a topic id or a full path.

    Raises:
        ConfigurationError: a topic id without a project.
    """
    if topic.startswith("projects/"):
        return topic
    if not project:
        raise ConfigurationError(f"topic {topic!r} is a short name: set ROIT_GCP_PROJECT")
    return f"projects/{project}/topics/{topic}"


def _publisher_client() -> Any:
    from google.cloud import pubsub_v1  # type: ignore[attr-defined]

    return pubsub_v1.PublisherClient(
        batch_settings=pubsub_v1.types.BatchSettings(max_messages=500, max_latency=0.005)
    )


class Publisher:
    """Publishes and waits for Pub/Sub's acknowledgement.

    Args:
        project: project for topic ids given without one.
        timeout_s: how long one publish may take, the client's own retries included.
    """

    def __init__(self, project: str | None, *, timeout_s: float = 30.0) -> None:
        self._project = project
        self._timeout_s = timeout_s
        self._client: Lazy[Any] = Lazy(_publisher_client)

    def publish_many(
        self, topic: str, messages: Sequence[tuple[bytes, Mapping[str, str]]]
    ) -> list[str | BaseException]:
        """Publish every message, then wait for each; returns its message id or its error."""
        try:
            client = self._client.get()
            path = topic_path(topic, self._project)
        except Exception as exc:  # noqa: BLE001 - no client: every message failed with this
            return [exc for _ in messages]
        futures: list[Any] = []
        for data, attributes in messages:
            try:
                futures.append(
                    client.publish(path, data, timeout=self._timeout_s, **dict(attributes))
                )
            except Exception as exc:  # noqa: BLE001 - refused before sending (e.g. too large)
                futures.append(exc)
        results: list[str | BaseException] = []
        for future in futures:
            if isinstance(future, BaseException):
                results.append(future)
                continue
            try:
                results.append(str(future.result(timeout=self._timeout_s + 5)))
            except Exception as exc:  # noqa: BLE001 - reported per message to the caller
                results.append(exc)
        return results

    def publish(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        """Publish one message and wait for its id.

        Raises:
            Exception: whatever the client raised; callers treat it as transient.
        """
        (result,) = self.publish_many(topic, [(data, attributes)])
        if isinstance(result, BaseException):
            raise result
        return result


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    data: str = ""
    attributes: dict[str, str] | None = None
    message_id: str | None = Field(default=None, alias="messageId")
    message_id_snake: str | None = Field(default=None, alias="message_id")
    publish_time: datetime | None = Field(default=None, alias="publishTime")
    publish_time_snake: datetime | None = Field(default=None, alias="publish_time")


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    message: _Message
    subscription: str | None = None
    delivery_attempt: int | None = Field(default=None, alias="deliveryAttempt")


@dataclass(frozen=True)
class PushMessage:
    """A Pub/Sub message delivered by push (raw envelope) or as a CloudEvent (Eventarc)."""

    data: bytes
    attributes: dict[str, str]
    message_id: str
    publish_time: datetime | None
    subscription: str | None = None
    delivery_attempt: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def age_s(self, now: datetime | None = None) -> float | None:
        """Seconds since Pub/Sub accepted the message, when the envelope says."""
        if self.publish_time is None:
            return None
        current = now or datetime.now(UTC)
        published = self.publish_time
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        return (current - published).total_seconds()


def parse_push(body: Any, headers: Mapping[str, str]) -> PushMessage:
    """Read a push request body in any of its forms.

    Accepted: the push subscription's envelope ``{"message": {...}, "subscription": ...}``
    (also what Eventarc sends as a binary-mode CloudEvent, with ``ce-*`` headers) and a
    structured-mode CloudEvent ``{"specversion": "1.0", "data": {"message": {...}}}``.

    Raises:
        InvalidInputError: the body is not a Pub/Sub push envelope.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    if isinstance(body, dict) and "specversion" in body:
        body = body.get("data")
    if not isinstance(body, dict):
        raise InvalidInputError("body is not a Pub/Sub push envelope", field="message")
    try:
        envelope = _Envelope.model_validate(body)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InvalidInputError(
            f"not a Pub/Sub push envelope: {loc}: {err['msg']}", field=loc
        ) from None
    msg = envelope.message
    try:
        data = base64.b64decode(msg.data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("message.data is not base64", field="message.data") from None
    message_id = msg.message_id or msg.message_id_snake or lowered.get("ce-id")
    if not message_id:
        raise InvalidInputError("message.messageId is missing", field="message.messageId")
    publish_time = msg.publish_time or msg.publish_time_snake
    attempt = envelope.delivery_attempt
    if attempt is None and (header := lowered.get("ce-deliveryattempt")):
        attempt = int(header) if header.isdigit() else None
    return PushMessage(
        data=data,
        attributes=dict(msg.attributes or {}),
        message_id=message_id,
        publish_time=publish_time,
        subscription=envelope.subscription,
        delivery_attempt=attempt,
    )
