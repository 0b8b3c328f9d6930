"""The push envelope in every form it arrives in, read without copying the message data.

A push request's body holds the message data in base64: up to 13 MB of a 10 MB message.
:func:`read_push` walks the envelope around it and decodes the data straight from the body's
bytes, so the data exists once as base64 and once decoded, never also as text.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.core.errors import InvalidInputError
from shared.core.inputs import error_text
from shared.core.jsonwalk import scanner, skip, walk_object

__all__ = ["PushMessage", "parse_push", "read_push"]

_scan = scanner(json.JSONDecoder())
_MAX_ENVELOPE_DEPTH = 3  # a CloudEvent, its data, the message


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


def parse_push(body: Any, headers: Mapping[str, str], *, data: bytes | None = None) -> PushMessage:
    """Read a parsed push request body in any of its forms (``data``: the message data, when
    it was decoded already; see :func:`read_push`).

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
            f"not a Pub/Sub push envelope: {loc}: {error_text(err)}", field=loc
        ) from None
    msg = envelope.message
    if data is None:
        data = _base64(msg.data)
    message_id = msg.message_id or msg.message_id_snake or lowered.get("ce-id")
    if not message_id:
        raise InvalidInputError("message.messageId is missing", field="message.messageId")
    publish_time = msg.publish_time or msg.publish_time_snake
    attempt = envelope.delivery_attempt
    if attempt is None and (header := lowered.get("ce-deliveryattempt")):
        readable = header.isascii() and header.isdigit() and len(header) <= 9
        attempt = int(header) if readable else None  # not a count Pub/Sub would send: unknown
    return PushMessage(
        data=data,
        attributes=dict(msg.attributes or {}),
        message_id=message_id,
        publish_time=publish_time,
        subscription=envelope.subscription,
        delivery_attempt=attempt,
    )


def _base64(encoded: str | bytes | memoryview) -> bytes:
    try:
        return binascii.a2b_base64(encoded, strict_mode=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("message.data is not base64", field="message.data") from None


def read_push(body: bytes, headers: Mapping[str, str]) -> PushMessage:
    """Read a push request body (bytes) in any of its forms.

    The message data is never turned into text: its base64 is found in the envelope and
    decoded straight from ``body``.

    Raises:
        InvalidInputError: not UTF-8 JSON, or not a Pub/Sub push envelope.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("body is not UTF-8") from None
    spans: dict[int, tuple[int, int]] = {}  # id(message object) -> its data's characters

    def value(at: int, path: tuple[str, ...]) -> tuple[Any, int]:
        if text[at : at + 1] != "{" or len(path) >= _MAX_ENVELOPE_DEPTH:
            return _scan(text, at)
        result: dict[str, Any] = {}

        def member(key: str, start: int) -> int:
            if key == "data" and path[-1:] == ("message",) and text[start : start + 1] == '"':
                end = text.find('"', start + 1)
                if end > 0 and text.find("\\", start + 1, end) < 0:  # no escapes: plain base64
                    spans[id(result)] = (start + 1, end)
                    result[key] = ""
                    return end + 1
            result[key], end = value(start, (*path, key))
            return end

        return result, walk_object(text, at + 1, member)

    try:
        envelope, end = value(skip(text, 0), ())
        if skip(text, end) != len(text):
            raise ValueError("extra data after the envelope")
    except (ValueError, StopIteration, RecursionError):
        raise InvalidInputError("body is not valid JSON") from None
    inner = (
        envelope.get("data")
        if isinstance(envelope, dict) and "specversion" in envelope
        else envelope
    )
    message = inner.get("message") if isinstance(inner, dict) else None
    span = spans.get(id(message))
    data = None
    if span is not None:
        start, end = span
        if len(text) != len(body):  # not all ASCII: count bytes around the (ASCII) base64
            start = len(text[:start].encode())
            end = len(body) - len(text[end:].encode())
        del text
        data = _base64(memoryview(body)[start:end])
    return parse_push(envelope, headers, data=data)
