"""Registering a delivery message with ROIT: one call per batch of at most the batch size.

Batches go in order. If ROIT refuses a later batch for good, only what was not delivered is
dead-lettered (so replaying the dead letter sends nothing twice); a passing failure, or the
invocation's deadline, leaves the whole message to Pub/Sub's redelivery (earlier batches are
then sent again: harmless if ROIT's delivery is an upsert, which its docs do not confirm).
"""

from __future__ import annotations

from typing import Any

from shared import deadline
from shared.client import RoitClient
from shared.errors import InvocationDeadlineError, RoitError
from shared.failures import Decision, PermanentFailure, push_decision
from shared.models import DeliveryMessage, DeliveryRequest

__all__ = ["deliver"]


def deliver(client: RoitClient, delivery: DeliveryMessage, *, batch_size: int) -> dict[str, Any]:
    """Send every item of ``delivery`` to ROIT; returns a small summary.

    Raises:
        PermanentFailure: ROIT refused a batch after earlier ones went through: carries only
            the undelivered rest, and how many items were delivered.
        InvocationDeadlineError: no time left for the next batch.
        RoitError: any failure of the first batch, or a passing one of a later batch.
    """
    integration_id = delivery.integration_id or client.settings.integration_id
    starts = range(0, len(delivery.data), batch_size)
    for sent in starts:
        if deadline.remaining() <= 0:
            raise InvocationDeadlineError(
                f"no time left after {sent} of {len(delivery.data)} items; Pub/Sub will redeliver"
            )
        request = DeliveryRequest(
            integration_id=integration_id,
            entity=delivery.entity,
            data=delivery.data[sent : sent + batch_size],
            is_default=delivery.is_default,
            sub_entity=delivery.sub_entity,
        )
        try:
            client.register_delivery(request)
        except RoitError as exc:
            decision, code = push_decision(exc)
            if sent and decision is Decision.DEAD_LETTER:
                rest = delivery.model_copy(update={"data": delivery.data[sent:]})
                raise PermanentFailure(
                    exc.message,
                    code=code,
                    data=rest.model_dump_json(by_alias=True, exclude_none=True).encode(),
                    attributes={"itemsDelivered": str(sent), "itemsTotal": str(len(delivery.data))},
                ) from exc
            raise
    return {"entity": delivery.entity.value, "items": len(delivery.data), "calls": len(starts)}
