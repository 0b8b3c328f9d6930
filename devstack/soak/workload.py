"""What the soak asks of the connector: documents seeded in waves, delivery messages (some over
the batch size, some deliberately bad), deliberately bad status messages, and the expectations
each of them carries.

Every message the soak publishes carries a `soakKey` attribute, which a dead letter keeps, so
each dead letter can be traced to the message it came from.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field

from devstack.soak.erp import Outgoing
from devstack.stack import wiring

__all__ = [
    "DELIVERY_BATCH",
    "BadMessage",
    "DeliveryPlan",
    "Wave",
    "bad_status_messages",
    "delivery_plan",
    "seed_waves",
]

DELIVERY_BATCH = 100  # ROIT_DELIVERY_MAX_BATCH's default, which the stack keeps
_ENTITIES = ("COST_CENTER", "ITEM", "PAYMENT_CONDITION", "TAX_CODE", "FINANCIAL_NATURE")


@dataclass(frozen=True)
class Wave:
    """Entities added to the sandbox at `at` (a fraction of the run)."""

    at: float
    documents: int
    master: int  # as many purchase orders and suppliers
    received: int  # not ready: must stay untouched


def seed_waves(documents: int, master: int, received: int, waves: int) -> list[Wave]:
    """`documents` documents, `master` POs and suppliers and `received` not-ready documents,
    spread over `waves` waves (the first at the start)."""

    def share(total: int, n: int) -> int:
        return total * (n + 1) // waves - total * n // waves

    return [
        Wave(n / waves, share(documents, n), share(master, n), share(received, n))
        for n in range(waves)
    ]


@dataclass(frozen=True)
class BadMessage:
    """A message the workload sends on purpose knowing it must be dead-lettered."""

    message: Outgoing
    error: str  # the dead letter's expected `error`
    delivered: tuple[str, ...] = ()  # item codes ROIT takes before the refused batch
    rest: tuple[str, ...] = ()  # item codes the dead letter must carry


@dataclass
class DeliveryPlan:
    """Delivery messages in publishing order and what each must lead to."""

    messages: list[Outgoing] = field(default_factory=list)
    items: dict[str, tuple[str, ...]] = field(default_factory=dict)  # key -> its item codes
    bad: list[BadMessage] = field(default_factory=list)

    @property
    def over_batch(self) -> int:
        """Valid messages with more items than one delivery call takes."""
        return sum(len(codes) > DELIVERY_BATCH for codes in self.items.values())


def _delivery(key: str, entity: str, items: list[dict[str, object]]) -> Outgoing:
    body = {"entity": entity, "data": items}
    return Outgoing(key, wiring.DELIVERIES_TOPIC, json.dumps(body).encode(), {"soakKey": key})


def _item(entity: str, code: str) -> dict[str, object]:
    if entity == "PURCHASE_ORDER":
        return {"purchaseNumber": code, "code": code, "items": []}
    return {"code": code, "description": f"soak {entity.lower()} {code}", "active": True}


def delivery_plan(count: int, rng: random.Random, cnpjs: list[str]) -> DeliveryPlan:
    """`count` valid delivery messages (every 20th has 101-250 items, the others 1-20) mixed
    with the deliberately bad ones; `cnpjs` are valid registers for SUPPLIER items."""
    plan = DeliveryPlan()
    for n in range(count):
        key = f"delivery-{n:05d}"
        entity = rng.choice((*_ENTITIES, "PURCHASE_ORDER"))
        size = rng.randint(DELIVERY_BATCH + 1, 250) if n % 20 == 7 else rng.randint(1, 20)
        codes = tuple(f"{key}-{i:03d}" for i in range(size))
        plan.messages.append(_delivery(key, entity, [_item(entity, c) for c in codes]))
        plan.items[key] = codes
    for bad in _bad_deliveries(cnpjs):
        position = rng.randint(0, len(plan.messages))
        plan.messages.insert(position, bad.message)
        plan.bad.append(bad)
    return plan


def _bad_deliveries(cnpjs: list[str]) -> list[BadMessage]:
    def supplier(code: str, register: str) -> dict[str, object]:
        return {"code": code, "nationalRegister": register, "name": f"Supplier {code}"}

    key = "bad-delivery-not-json"
    not_json = Outgoing(key, wiring.DELIVERIES_TOPIC, b"{not json", {"soakKey": key})
    unknown = _delivery("bad-delivery-entity", "NOT_AN_ENTITY", [{"code": "X1"}])
    refused = _delivery(
        "bad-delivery-register", "SUPPLIER", [supplier("bad-register-0", "11111111111111")]
    )
    codes = [f"bad-delivery-partial-{i:03d}" for i in range(DELIVERY_BATCH + 50)]
    items = [
        supplier(code, "00000000000000" if i == DELIVERY_BATCH + 20 else cnpjs[i % len(cnpjs)])
        for i, code in enumerate(codes)
    ]
    partial = _delivery("bad-delivery-partial", "SUPPLIER", items)
    return [
        BadMessage(not_json, "invalid_message"),
        BadMessage(unknown, "invalid_message"),
        BadMessage(refused, "roit_rejected_400", rest=("bad-register-0",)),
        BadMessage(
            partial,
            "roit_rejected_400",
            delivered=tuple(codes[:DELIVERY_BATCH]),
            rest=tuple(codes[DELIVERY_BATCH:]),
        ),
    ]


def bad_status_messages(request_id: str, reference: str) -> list[BadMessage]:
    """Status messages that can never succeed: not JSON, an unknown status, an unknown request
    (ROIT: 404), a reference that is not the request's (ROIT: 400). `request_id` /
    `reference` name a real request, which none of them may change."""

    def status(key: str, body: object, raw: bytes | None = None) -> Outgoing:
        data = raw if raw is not None else json.dumps(body).encode()
        return Outgoing(key, wiring.STATUS_TOPIC, data, {"soakKey": key})

    base = {"requestId": request_id, "reference": reference, "message": "soak"}
    return [
        BadMessage(status("bad-status-not-json", None, b"\xff not json"), "invalid_message"),
        BadMessage(status("bad-status-enum", {**base, "status": "FINISHED"}), "invalid_message"),
        BadMessage(
            status(
                "bad-status-unknown", {**base, "requestId": str(uuid.uuid4()), "status": "ERROR"}
            ),
            "roit_rejected_404",
        ),
        BadMessage(
            status("bad-status-reference", {**base, "reference": "not-its-ref", "status": "DONE"}),
            "roit_rejected_400",
        ),
    ]
