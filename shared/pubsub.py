"""Pub/Sub: a lazily created publisher, and the push envelope in every form it arrives in.

The publisher talks to Pub/Sub's publish method directly (``google.pubsub_v1``, imported on the
first publish, so functions that only read envelopes never pay for it); one call is one
publish request. ``PUBSUB_EMULATOR_HOST`` is honoured by the client library itself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared import deadline
from shared._lazy import Lazy
from shared.errors import ConfigurationError, Failure, InvalidInputError, PublishError

__all__ = [
    "MAX_ATTRIBUTE_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_REQUEST_MESSAGES",
    "Publisher",
    "PushMessage",
    "fit_attribute",
    "message_problem",
    "message_size",
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


MAX_MESSAGE_BYTES = 10_000_000
"""Pub/Sub's largest message: data plus attribute keys and values."""

MAX_REQUEST_MESSAGES = 1000
"""Pub/Sub's most messages in one publish request."""

_MAX_ATTRIBUTES = 100
_MAX_KEY_BYTES = 256
_PUBLISH_TIMEOUT_S = 60.0


def message_size(data: bytes, attributes: Mapping[str, str]) -> int:
    """What a message counts against Pub/Sub's size limit."""
    return len(data) + sum(len(k.encode()) + len(v.encode()) for k, v in attributes.items())


def message_problem(data: bytes, attributes: Mapping[str, str]) -> str | None:
    """Why Pub/Sub would refuse this message as such (pure), or ``None``."""
    if not data and not attributes:
        return "a message needs data or attributes"
    if len(attributes) > _MAX_ATTRIBUTES:
        return f"{len(attributes)} attributes, over Pub/Sub's {_MAX_ATTRIBUTES}"
    for key, value in attributes.items():
        if not isinstance(key, str) or not isinstance(value, str):
            return "attribute keys and values must be strings"
        if not key or len(key.encode("utf-8", "replace")) > _MAX_KEY_BYTES:
            return f"an attribute key is empty or longer than {_MAX_KEY_BYTES} bytes"
        if key.lower().startswith("goog"):
            return "an attribute key starts with 'goog' (reserved)"
        if len(value.encode("utf-8", "replace")) > MAX_ATTRIBUTE_BYTES:
            return f"an attribute value is longer than {MAX_ATTRIBUTE_BYTES} bytes"
        if _invalid_utf8(key) or _invalid_utf8(value):
            return "an attribute holds a lone surrogate (not valid Unicode)"
    size = message_size(data, attributes)
    if size > MAX_MESSAGE_BYTES:
        return f"the message is {size} bytes, over Pub/Sub's {MAX_MESSAGE_BYTES}"
    return None


def _invalid_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _gapic_client() -> Any:
    from google.pubsub_v1 import PublisherClient  # honours PUBSUB_EMULATOR_HOST itself

    return PublisherClient()


def _classify(error: Exception, topic: str) -> PublishError:
    """Pub/Sub's exception, by type: about the messages (``InvalidArgument``: the topic name
    is validated at start-up, so what is left is the message) or about the topic."""
    from google.api_core import exceptions as gexc

    name = type(error).__name__
    if isinstance(error, gexc.InvalidArgument):
        return PublishError(
            f"Pub/Sub refused a message for {topic} ({name})", failure=Failure.INPUT
        )
    if isinstance(error, gexc.NotFound | gexc.PermissionDenied | gexc.Unauthenticated):
        return PublishError(
            f"Pub/Sub refused the topic {topic} ({name}): check it exists and the function's "
            "service account may publish to it",
            setting="the topic settings (ROIT_*_TOPIC) and the publisher grants",
        )
    return PublishError(f"Pub/Sub did not take the messages for {topic} ({name})")


class Publisher:
    """Publishes to Pub/Sub, one request per call, waiting for Pub/Sub's answer.

    Messages go to the service as given (attributes of any name: ``timeout``, ``retry`` …
    are attributes like any other). Every publish ends within the current deadline
    (:mod:`shared.deadline`), Pub/Sub's own retries included. The client library is loaded
    and its client built on the first publish.

    Args:
        project: project for topic ids given without one.
    """

    def __init__(self, project: str | None) -> None:
        self._project = project
        self._client: Lazy[Any] = Lazy(_gapic_client)

    def publish_batch(
        self, topic: str, messages: Sequence[tuple[bytes, Mapping[str, str]]]
    ) -> list[str]:
        """Publish up to :data:`MAX_REQUEST_MESSAGES` messages in one request; their ids.

        All or nothing: Pub/Sub accepts or refuses the request as a whole.

        Raises:
            PublishError: ``failure`` INPUT when Pub/Sub (or :func:`message_problem`) refuses a
                message, PUBSUB when the topic or the service is at fault.
        """
        path = topic_path(topic, self._project)
        for data, attributes in messages:
            if problem := message_problem(data, attributes):
                raise PublishError(f"message for {topic} refused: {problem}", failure=Failure.INPUT)
        left = deadline.remaining()
        if left <= 0:
            raise PublishError(f"no time left to publish to {topic}", failure=Failure.DEADLINE)
        try:
            client = self._client.get()
            from google.api_core import retry as gretry
            from google.pubsub_v1 import PubsubMessage

            response = client.publish(
                topic=path,
                messages=[PubsubMessage(data=d, attributes=dict(a)) for d, a in messages],
                retry=gretry.Retry(
                    initial=0.1, maximum=2.0, multiplier=2.0, timeout=min(left, _PUBLISH_TIMEOUT_S)
                ),
                timeout=min(left, _PUBLISH_TIMEOUT_S),
            )
        except Exception as exc:
            raise _classify(exc, topic) from exc
        return list(response.message_ids)

    def publish(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        """Publish one message and return its id.

        Raises:
            PublishError: see :meth:`publish_batch`.
        """
        (message_id,) = self.publish_batch(topic, [(data, attributes)])
        return message_id


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


_ENVELOPE_FIELDS = frozenset(
    name
    for model in (_Envelope, _Message)
    for field_name, info in model.model_fields.items()
    for name in (field_name, info.alias)
    if name
)
"""The envelope's own field names: an error names a field by these only (an attribute key is
the sender's choice, never repeated back)."""


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
        loc = ".".join(str(p) if p in _ENVELOPE_FIELDS else "<key>" for p in err["loc"])
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
        attempt = int(header) if header.isascii() and header.isdigit() else None
    return PushMessage(
        data=data,
        attributes=dict(msg.attributes or {}),
        message_id=message_id,
        publish_time=publish_time,
        subscription=envelope.subscription,
        delivery_attempt=attempt,
    )
