"""Registering a delivery message with ROIT: one call per batch of at most the batch size.

A message is read item by item (:func:`read_delivery`): each item is checked and kept as the
bytes the ERP sent, never held twice in memory, and sent to ROIT as it is. Batches go in order.
If ROIT refuses a later batch for good, only what was not delivered is dead-lettered (so
replaying the dead letter sends nothing twice); a passing failure, or the invocation's
deadline, leaves the whole message to Pub/Sub's redelivery (earlier batches are then sent
again: harmless if ROIT's delivery is an upsert, which its docs do not confirm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared import deadline
from shared.client import RoitClient
from shared.errors import InvalidInputError, InvocationDeadlineError, RoitError
from shared.failures import Decision, PermanentFailure, push_decision
from shared.inputs import parse_input, read_object
from shared.models import DeliveryHeader

__all__ = ["Delivery", "deliver", "read_delivery"]


@dataclass(frozen=True)
class Delivery:
    """A delivery message: its header, and its items as the ERP sent them."""

    header: DeliveryHeader
    items: list[memoryview]


def read_delivery(data: bytes) -> Delivery:
    """Read a deliveries-topic message strictly (the schema of
    :class:`~shared.models.DeliveryMessage`), item by item.

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


def deliver(client: RoitClient, delivery: Delivery, *, batch_size: int) -> dict[str, Any]:
    """Send every item of ``delivery`` to ROIT; returns a small summary.

    Raises:
        PermanentFailure: ROIT refused a batch after earlier ones went through: carries only
            the undelivered rest, and how many items were delivered.
        InvocationDeadlineError: no time left for the next batch.
        RoitError: any failure of the first batch, or a passing one of a later batch.
    """
    header, items = delivery.header, delivery.items
    starts = range(0, len(items), batch_size)
    for sent in starts:
        if deadline.remaining() <= 0:
            raise InvocationDeadlineError(
                f"no time left after {sent} of {len(items)} items; Pub/Sub will redeliver"
            )
        try:
            client.register_delivery(header, items[sent : sent + batch_size])
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
    return {"entity": header.entity.value, "items": len(items), "calls": len(starts)}
