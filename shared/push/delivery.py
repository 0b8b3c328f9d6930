"""Registering a delivery message with ROIT: one call per batch of at most the batch size.

A message is read item by item (:func:`read_delivery`): each item is checked and kept as the
bytes the ERP sent, never held twice in memory, and sent to ROIT as it is. Batches go in order.
If ROIT refuses a later batch for good, only what was not delivered is dead-lettered (so
replaying the dead letter sends nothing twice); a passing failure leaves the whole message to
Pub/Sub's redelivery (earlier batches are then sent again: harmless if ROIT's delivery is an
upsert, which its docs do not confirm).

A message too large for one invocation would never finish that way: each redelivery would
start again from the first batch and stop at the same deadline. So when the invocation's
deadline comes after some batches went through, the rest is :class:`Unfinished`; with
``ROIT_DELIVERIES_TOPIC`` set, :func:`hand_on` publishes it to the deliveries topic as a new
message (the original's attributes kept, plus ``continuationOf``) and the original is
acknowledged, so every invocation moves the message forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from shared.core import deadline
from shared.core.errors import (
    InvalidInputError,
    InvocationDeadlineError,
    PermanentFailure,
    RoitError,
)
from shared.core.inputs import parse_input, read_object
from shared.core.logs import get_logger
from shared.core.pubsub import Publisher, fit_attribute
from shared.entry.failures import Decision, push_decision
from shared.push.envelope import PushMessage
from shared.push.once import Effect
from shared.push.settings import DeliverySettings
from shared.roit.client import RoitClient
from shared.roit.models import DeliveryHeader

__all__ = [
    "HAND_ON_RESERVE_S",
    "Delivery",
    "Unfinished",
    "deliver",
    "hand_on",
    "read_delivery",
    "register",
]

log = get_logger("delivery")

HAND_ON_RESERVE_S = 5.0
"""Kept back from the invocation's deadline to publish the rest, when it is handed on."""
_ADDED = ("continuationOf", "itemsDelivered", "itemsTotal")


class Unfinished(InvocationDeadlineError):
    """The invocation's deadline came after ``delivered`` of ``total`` items went through;
    ``data`` is the rest as a delivery message (the current batch included if it was cut)."""

    def __init__(self, message: str, *, data: bytes, delivered: int, total: int) -> None:
        super().__init__(message, ambiguous=False)
        self.data = data
        self.delivered = delivered
        self.total = total


@dataclass(frozen=True)
class Delivery:
    """A delivery message: its header, and its items as the ERP sent them."""

    header: DeliveryHeader
    items: list[memoryview]


def read_delivery(data: bytes) -> Delivery:
    """Read a deliveries-topic message strictly (the schema of
    :class:`~shared.roit.models.DeliveryMessage`), item by item.

    Raises:
        InvalidInputError: naming the field; the input is never quoted.
    """
    message = read_object(data, item_lists=("data",))
    if "data" in message.fields:
        raise InvalidInputError("data: Input should be a valid list", field="data")
    items = message.items.get("data")
    if items is None:
        raise InvalidInputError("data: Field required", field="data")
    if not items:
        raise InvalidInputError("data: List should have at least 1 item", field="data")
    return Delivery(parse_input(DeliveryHeader, message.fields), items)


def deliver(
    client: RoitClient,
    delivery: Delivery,
    *,
    batch_size: int,
    reserve_s: float = 0.0,
    start: int = 0,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Send every item of ``delivery`` to ROIT; returns a small summary. Batches stop
    ``reserve_s`` before the invocation's deadline (time kept to hand the rest on).

    ``start``: the items before it were accepted by an earlier attempt (the message's record
    in the idempotency store), so they are not sent again; ``on_batch(n)`` is told each time
    ROIT accepted the items before ``n``.

    Raises:
        PermanentFailure: ROIT refused a batch after earlier ones went through: carries only
            the undelivered rest, and how many items were delivered.
        Unfinished: the deadline came after some batches went through (the rest with it).
        InvocationDeadlineError: the deadline came before the first batch went through.
        RoitError: any failure of the first batch, or a passing one of a later batch.
    """
    with deadline.deadline_scope(max(0.0, deadline.remaining() - reserve_s)):
        return _deliver(client, delivery, batch_size, start, on_batch)


def _deliver(
    client: RoitClient,
    delivery: Delivery,
    batch_size: int,
    start: int,
    on_batch: Callable[[int], None] | None,
) -> dict[str, Any]:
    header, items = delivery.header, delivery.items
    starts = range(min(start, len(items)), len(items), batch_size)
    for sent in starts:
        if deadline.remaining() <= 0:
            _stop(delivery, sent, None)
        try:
            client.register_delivery(header, items[sent : sent + batch_size])
        except InvocationDeadlineError as exc:  # cut in flight: this batch may have landed
            _stop(delivery, sent, exc)
        except RoitError as exc:
            decision, code = push_decision(exc)
            if sent and decision is Decision.DEAD_LETTER:
                raise PermanentFailure(
                    exc.message,
                    code=code,
                    data=header.body(items[sent:], integration_id=None),
                    attributes={"itemsDelivered": str(sent), "itemsTotal": str(len(items))},
                ) from exc
            raise
        if on_batch is not None:
            on_batch(min(sent + batch_size, len(items)))
    summary = {"entity": header.entity.value, "items": len(items), "calls": len(starts)}
    return {**summary, "resumedAt": start} if start else summary


def _stop(delivery: Delivery, sent: int, cause: Exception | None) -> NoReturn:
    total = len(delivery.items)
    message = f"the invocation's deadline came after {sent} of {total} items"
    if not sent:
        raise InvocationDeadlineError(f"{message}; Pub/Sub will redeliver") from cause
    rest = delivery.header.body(delivery.items[sent:], integration_id=None)
    raise Unfinished(message, data=rest, delivered=sent, total=total) from cause


def hand_on(
    publisher: Publisher, topic: str, message: PushMessage, rest: Unfinished
) -> dict[str, Any]:
    """Publish what ``rest`` left undelivered to ``topic`` as a new message; a summary.

    Raises:
        PublishError: the rest could not be published (the original is then redelivered).
    """
    attributes = {k: v for k, v in message.attributes.items() if k not in _ADDED}
    attributes = dict(list(attributes.items())[: 100 - len(_ADDED)])  # Pub/Sub's most: 100
    attributes.update(
        continuationOf=fit_attribute(message.message_id),
        itemsDelivered=str(rest.delivered),
        itemsTotal=str(rest.total),
    )
    new_id = publisher.publish(topic, rest.data, attributes)
    summary = {
        "items": rest.delivered,
        "itemsLeft": rest.total - rest.delivered,
        "continuedAs": new_id,
    }
    log.warning(
        "delivery not finished by the deadline; the rest goes on as a new message",
        extra={"fields": {**summary, "event": "delivery_continued"}},
    )
    return summary


def register(
    client: RoitClient,
    settings: DeliverySettings,
    publisher: Publisher,
    message: PushMessage,
    effect: Effect | None = None,
) -> dict[str, Any]:
    """register_delivery's work on one message: deliver it; what the deadline leaves is handed
    on to ``ROIT_DELIVERIES_TOPIC`` when one is set (else Pub/Sub redelivers the whole message).
    ``effect``: the message's record in the idempotency store (:mod:`shared.push.once`): a
    redelivery resumes after the items an earlier attempt had delivered.
    """
    delivery = read_delivery(message.data)
    summary = {"entity": delivery.header.entity.value, "itemsTotal": len(delivery.items)}
    # Time kept to hand the rest on; at most a quarter of the invocation, however short it is.
    reserve = min(HAND_ON_RESERVE_S, settings.invocation_s / 4) if settings.deliveries_topic else 0
    try:
        return deliver(
            client,
            delivery,
            batch_size=settings.delivery_max_batch,
            reserve_s=reserve,
            start=effect.progress if effect else 0,
            on_batch=effect.record if effect else None,
        )
    except Unfinished as rest:
        if not settings.deliveries_topic:
            raise  # Pub/Sub redelivers the whole message
        return {**summary, **hand_on(publisher, settings.deliveries_topic, message, rest)}
