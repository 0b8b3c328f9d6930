"""Triage of a pending page (pure): what to publish, what to dead-letter, what was seen before.

Each item of a page (parsed, with its own bytes as ROIT sent them: :mod:`shared.roit.pages`)
becomes exactly one of:

* an :class:`Outgoing` message for the pending topic — the entity's bytes exactly as ROIT sent
  them, with routing attributes;
* a :class:`DeadLetter` — what ROIT sent that can never be published: not an object, no
  ``requestId``, not valid JSON as sent (``NaN``), or over Pub/Sub's message size;
* a duplicate — an entity already taken in this run (ROIT handed it out twice: reprocessed
  meanwhile, or repeated): published once, and handed back once the run is over.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.core.errors import MalformedResponseError
from shared.core.pubsub import MAX_MESSAGE_BYTES, fit_attribute, message_problem
from shared.roit.models import PendingItem

__all__ = [
    "DeadLetter",
    "Outgoing",
    "Triage",
    "dead_letter_attributes",
    "encode_entity",
    "pending_attributes",
    "triage",
]


@dataclass(frozen=True)
class Outgoing:
    """One entity, ready for the pending topic."""

    request_id: str
    integration_id: str | None
    data: bytes
    attributes: dict[str, str]


@dataclass(frozen=True)
class DeadLetter:
    """What goes to the pending dead-letter topic, and why.

    ``request_id`` names it; ``readable`` says ROIT's record was readable, so the entity can
    be handed back to ROIT if the dead-letter topic fails too.
    """

    request_id: str | None
    data: bytes
    attributes: dict[str, str]
    readable: bool = False


@dataclass
class Triage:
    """A page, sorted."""

    publish: list[Outgoing] = field(default_factory=list)
    dead: list[DeadLetter] = field(default_factory=list)
    duplicates: list[tuple[str, str | None]] = field(default_factory=list)
    """(requestId, integrationId) of the entities already taken in this run."""


def encode_entity(raw: Any) -> bytes:
    """An entity's JSON as ROIT sent it.

    Raises:
        ValueError / TypeError / RecursionError: not encodable (e.g. ``NaN``).
    """
    return json.dumps(raw, separators=(",", ":"), allow_nan=False).encode("ascii")


def pending_attributes(
    item: PendingItem, *, integration_id: str, correlation_id: str
) -> dict[str, str]:
    """The attributes every pending message carries (strings within Pub/Sub's limit)."""
    record = item.record
    values = {
        "entity": record.entity,
        "type": record.type,
        "requestId": record.request_id,
        "reference": record.reference,
        "integrationId": record.integration_id or integration_id,
        "correlationId": correlation_id,
    }
    return {k: fit_attribute(str(v)) for k, v in values.items() if v not in (None, "")}


def dead_letter_attributes(
    code: str, reason: str, *, integration_id: str, correlation_id: str
) -> dict[str, str]:
    """The attributes of a pending dead letter."""
    return {
        "error": code,
        "reason": fit_attribute(reason),
        "integrationId": integration_id,
        "correlationId": correlation_id,
    }


def dead_letter_data(raw: Any) -> bytes:
    """What a dead letter carries: the entity as ROIT sent it, or a stub naming it when it
    cannot be encoded or is too large (ROIT still holds it whole)."""
    try:
        data = encode_entity(raw)
    except (ValueError, TypeError, RecursionError):
        data = b""
    if not data or len(data) > MAX_MESSAGE_BYTES - 64 * 1024:
        request_id = raw.get("requestId") if isinstance(raw, dict) else None
        stub = {"requestId": str(request_id) if request_id else None, "truncated": True}
        data = json.dumps(stub).encode()
    return data


def triage(
    items: Sequence[tuple[Any, bytes | None]],
    *,
    integration_id: str,
    correlation_id: str,
    seen: Collection[str] = (),
) -> Triage:
    """Sort one page of ``(item, its bytes)``; ``seen`` are the request ids already taken in
    this run."""
    result = Triage()
    taken: set[str] = set()

    def dead(raw: Any, sent: bytes | None, code: str, reason: str, **attributes: str) -> None:
        request_id = raw.get("requestId") if isinstance(raw, dict) else None
        if not isinstance(request_id, str | int) or isinstance(request_id, bool):
            request_id = None  # only a plain id names anything at ROIT
        extra = dead_letter_attributes(
            code, reason, integration_id=integration_id, correlation_id=correlation_id
        )
        fits = sent is not None and len(sent) <= MAX_MESSAGE_BYTES - 64 * 1024
        data = sent if fits and sent is not None else dead_letter_data(raw)
        # readable: ROIT's record was read, so it can be handed back if dead-lettering fails
        letter = DeadLetter(
            str(request_id) if request_id else None, data, {**attributes, **extra}, bool(attributes)
        )
        result.dead.append(letter)

    for raw, sent in items:
        try:
            item = PendingItem.from_raw(raw)
        except MalformedResponseError as exc:
            dead(raw, sent, "unreadable_entity", exc.message)
            continue
        request_id = str(item.record.request_id)
        if request_id in seen or request_id in taken:
            result.duplicates.append((request_id, item.record.integration_id))
            continue
        taken.add(request_id)
        attributes = pending_attributes(
            item, integration_id=integration_id, correlation_id=correlation_id
        )
        if sent is None:
            reason = "entity is not valid JSON as sent (NaN or Infinity)"
            dead(raw, None, "unreadable_entity", reason, **attributes)
        elif problem := message_problem(sent, attributes):
            dead(raw, None, "unpublishable_entity", problem, **attributes)
        else:
            result.publish.append(
                Outgoing(request_id, item.record.integration_id, sent, attributes)
            )
    return result
