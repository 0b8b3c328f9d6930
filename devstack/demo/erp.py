"""A simulated ERP for the demo: it talks to the connector only through Pub/Sub, like a real one.

It pulls pending entities from `roit-pending-erp`, "integrates" them (every `error_every`-th
fails), publishes each result to `roit-status`, and publishes master data to `roit-deliveries`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.api_core.exceptions import DeadlineExceeded

from devstack.stack import wiring

__all__ = ["PendingMessage", "SimulatedErp"]


@dataclass(frozen=True)
class PendingMessage:
    """One pending entity as the ERP received it."""

    request_id: str
    reference: str
    entity: str
    type: str
    attributes: dict[str, str]
    data: dict[str, Any]


@dataclass
class SimulatedErp:
    """The ERP side of the demo, against the emulator at `host`."""

    host: str
    project: str
    error_every: int = 10
    received: dict[str, PendingMessage] = field(default_factory=dict)
    duplicates: int = 0
    statuses: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._publisher, self._subscriber = wiring.emulator_clients(self.host)

    def close(self) -> None:
        """Close the Pub/Sub clients."""
        self._subscriber.close()
        self._publisher.stop()

    def _topic(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    def pull(self, subscription: str, *, expected: int, timeout_s: float) -> list[Any]:
        """Pull and acknowledge until `expected` messages arrived or `timeout_s` passed."""
        path = f"projects/{self.project}/subscriptions/{subscription}"
        messages: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while len(messages) < expected and (left := deadline - time.monotonic()) > 0:
            try:  # an empty pull blocks until its deadline: keep it within ours
                response = self._subscriber.pull(
                    request={"subscription": path, "max_messages": 100},
                    timeout=max(0.5, min(5.0, left)),
                    retry=None,
                )
            except DeadlineExceeded:
                continue
            if not response.received_messages:
                time.sleep(0.2)
                continue
            self._subscriber.acknowledge(
                request={
                    "subscription": path,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
            messages += [m.message for m in response.received_messages]
        return messages

    def consume_pending(self, *, expected: int, timeout_s: float = 60) -> list[PendingMessage]:
        """Receive the pending entities (a redelivered one is counted once)."""
        for message in self.pull(wiring.ERP_SUBSCRIPTION, expected=expected, timeout_s=timeout_s):
            attributes = dict(message.attributes)
            pending = PendingMessage(
                request_id=attributes["requestId"],
                reference=attributes.get("reference", ""),
                entity=attributes.get("entity", ""),
                type=attributes.get("type", ""),
                attributes=attributes,
                data=json.loads(message.data),
            )
            if pending.request_id in self.received:
                self.duplicates += 1
            self.received[pending.request_id] = pending
        return list(self.received.values())

    def report_results(self) -> dict[str, str]:
        """Publish one result per received entity to `roit-status`; returns requestId -> status.

        Every `error_every`-th entity (in the order received) fails with ERROR, the rest DONE.
        """
        futures = []
        for index, pending in enumerate(self.received.values(), start=1):
            failed = index % self.error_every == 0
            result: dict[str, Any] = {
                "requestId": pending.request_id,
                "reference": pending.reference,
                "status": "ERROR" if failed else "DONE",
                "message": "Supplier not registered in the ERP" if failed else "Integrated",
                "integrationId": pending.attributes.get("integrationId"),
                "systemInfo": {"system": "demo-erp", "version": "1.0"},
            }
            if not failed:
                result["entryReference"] = f"ERP-{index:06d}"
                result["entryDate"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
            attributes = {"correlationId": pending.attributes.get("correlationId", "")}
            futures.append(
                self._publisher.publish(
                    self._topic(wiring.STATUS_TOPIC), json.dumps(result).encode(), **attributes
                )
            )
            self.statuses[pending.request_id] = result["status"]
        for future in futures:
            future.result(timeout=30)
        return dict(self.statuses)

    def master_data_batches(self) -> list[dict[str, Any]]:
        """Delivery messages built from the master data the ERP holds: the suppliers and
        purchase orders it received, and its cost centers."""
        batches: list[dict[str, Any]] = []
        for entity in ("SUPPLIER", "PURCHASE_ORDER"):
            items = [
                p.data["document"]
                for p in self.received.values()
                if p.entity == entity and isinstance(p.data.get("document"), dict)
            ]
            if items:
                batches.append({"entity": entity, "data": items})
        cost_centers = [
            {"code": f"CC{n:04d}", "description": f"Cost center {n}", "active": True}
            for n in range(1, 6)
        ]
        batches.append({"entity": "COST_CENTER", "data": cost_centers, "isDefault": False})
        return batches

    def publish_deliveries(self, batches: list[dict[str, Any]]) -> list[str]:
        """Publish each delivery message to `roit-deliveries`; returns the message ids."""
        topic = self._topic(wiring.DELIVERIES_TOPIC)
        futures = [self._publisher.publish(topic, json.dumps(b).encode()) for b in batches]
        return [str(f.result(timeout=30)) for f in futures]

    def publish_raw(self, topic: str, data: bytes, **attributes: str) -> str:
        """Publish any bytes (the demo's deliberately invalid message)."""
        return str(self._publisher.publish(self._topic(topic), data, **attributes).result(30))
