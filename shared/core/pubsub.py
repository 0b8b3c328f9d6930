"""Pub/Sub: a lazily created publisher, and what Pub/Sub accepts as a message.

The publisher talks to Pub/Sub's publish method directly (``google.pubsub_v1``, imported on the
first publish, so functions that only read envelopes never pay for it); one call is one
publish request. ``PUBSUB_EMULATOR_HOST`` is honoured by the client library itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shared.core import deadline
from shared.core.errors import ConfigurationError, Failure, PublishError
from shared.core.lazy import Lazy

__all__ = [
    "MAX_ATTRIBUTE_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_REQUEST_MESSAGES",
    "Publisher",
    "fit_attribute",
    "message_problem",
    "message_size",
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
    size = len(data)
    try:
        for key, value in attributes.items():
            key_bytes, value_bytes = key.encode(), value.encode()
            if not key_bytes or len(key_bytes) > _MAX_KEY_BYTES:
                return f"an attribute key is empty or longer than {_MAX_KEY_BYTES} bytes"
            if key_bytes[:4].lower() == b"goog":
                return "an attribute key starts with 'goog' (reserved)"
            if len(value_bytes) > MAX_ATTRIBUTE_BYTES:
                return f"an attribute value is longer than {MAX_ATTRIBUTE_BYTES} bytes"
            size += len(key_bytes) + len(value_bytes)
    except UnicodeEncodeError:
        return "an attribute holds a lone surrogate (not valid Unicode)"
    except AttributeError:
        return "attribute keys and values must be strings"
    if size > MAX_MESSAGE_BYTES:
        return f"the message is {size} bytes, over Pub/Sub's {MAX_MESSAGE_BYTES}"
    return None


def _gapic_client() -> tuple[Any, Any, Any]:
    """The publisher client (it honours ``PUBSUB_EMULATOR_HOST`` itself) and the raw protobuf
    types of a publish request and of a message."""
    from google.pubsub_v1 import PublisherClient, PublishRequest, PubsubMessage

    return PublisherClient(), PublishRequest.pb(), PubsubMessage.pb()


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
    (:mod:`shared.core.deadline`), Pub/Sub's own retries included. The client library is loaded
    and its client built on the first publish.

    Args:
        project: project for topic ids given without one.
    """

    def __init__(self, project: str | None) -> None:
        self._project = project
        self._client: Lazy[tuple[Any, Any, Any]] = Lazy(_gapic_client)

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
            client, request_type, message_type = self._client.get()
            from google.api_core import retry as gretry

            request = request_type(  # the raw protobuf types: no per-field marshalling
                topic=path, messages=[message_type(data=d, attributes=a) for d, a in messages]
            )
            response = client.publish(
                request=request,
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
