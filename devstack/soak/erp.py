"""The soak's ERP: it talks to the connector only through Pub/Sub, continuously, and keeps a
ledger of everything it received and sent.

* a consumer pulls `roit-pending-erp`, records each message (a redelivery of a message id it
  already has is only counted), decides a status for each new one and acknowledges it;
* an outbox publishes what the ERP has to say (statuses, deliveries, deliberately bad messages)
  and keeps what Pub/Sub did not take for the next try; `pause()` holds it (the ERP keeps it);
* a collector pulls the three dead-letter subscriptions.

Status decision: the first time a document arrives it is DONE, ERROR or WARNING (fixed by its
request id, 70 / 20 / 10 %); any later arrival (after a reprocess or a hand-back) is DONE.

The emulator numbers message ids from 1 again after a restart, so the ERP tells messages apart
by (emulator generation, message id); `new_generation()` is called once it is back.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.stack import wiring

__all__ = ["DeadLetter", "Outgoing", "Receipt", "SoakErp", "first_status"]

DEAD_LETTER_SUBSCRIPTIONS = tuple(wiring.dead_letter_subscription(t) for t in wiring.TOPICS)
PUBLISH_TIMEOUT_S = 10.0  # a publish Pub/Sub does not take by then goes back to the outbox


def first_status(request_id: str) -> str:
    """The ERP's verdict the first time it integrates a document (70 / 20 / 10 %)."""
    bucket = hashlib.sha256(request_id.encode()).digest()[0] % 10
    return "ERROR" if bucket < 2 else "WARNING" if bucket < 3 else "DONE"


@dataclass(frozen=True)
class Receipt:
    """One pending message, the first time the ERP received its message id."""

    request_id: str
    message_id: str
    entity: str
    type: str
    at: float


@dataclass(frozen=True)
class Outgoing:
    """One message the ERP means to publish; `key` names it in the ledger (attribute soakKey)."""

    key: str
    topic: str
    data: bytes
    attributes: dict[str, str]


@dataclass(frozen=True)
class DeadLetter:
    """One message pulled from a dead-letter subscription."""

    subscription: str
    message_id: str
    data: bytes
    attributes: dict[str, str]


@dataclass
class _Ledger:
    receipts: list[Receipt] = field(default_factory=list)
    deliveries: Counter[str] = field(default_factory=Counter)  # message id -> times received
    statuses: dict[str, list[str]] = field(default_factory=dict)  # requestId -> sent, in order
    status_keys: dict[str, list[str]] = field(default_factory=dict)  # the same, their keys
    published: dict[str, list[str]] = field(default_factory=dict)  # key -> message ids
    dead_letters: list[DeadLetter] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


class SoakErp:
    """The ERP side of the soak, against the emulator at `host` (threads: `start()`)."""

    def __init__(self, host: str, project: str, *, clock: Callable[[], float] = time.monotonic):
        self.project = project
        self.clock = clock
        self._publisher, self._subscriber = wiring.emulator_clients(host, PUBLISH_TIMEOUT_S)
        self.ledger = _Ledger()
        self._lock = threading.Lock()
        self._outbox: deque[Outgoing] = deque()
        self._in_flight = 0
        self._paused = threading.Event()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._consume, name="erp-consume", daemon=True),
            threading.Thread(target=self._send, name="erp-send", daemon=True),
            threading.Thread(target=self._collect, name="erp-dead-letters", daemon=True),
        ]
        self._sequence = 0
        self.sent: dict[str, Outgoing] = {}  # key -> the message, once Pub/Sub took it
        self.generation = 0

    def new_generation(self) -> None:
        """The emulator was restarted: message ids start again from 1."""
        with self._lock:
            self.generation += 1

    def start(self) -> SoakErp:
        for thread in self._threads:
            thread.start()
        return self

    def close(self) -> None:
        """Stop the threads and close the clients."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._subscriber.close()
        self._publisher.stop()

    # -- the outbox ------------------------------------------------------------------------
    def enqueue(self, message: Outgoing, *, first: bool = False) -> None:
        with self._lock:
            if first:
                self._outbox.appendleft(message)
            else:
                self._outbox.append(message)

    def pause(self) -> None:
        """Hold the outbox (what is being published now still goes)."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def outbox_empty(self) -> bool:
        with self._lock:
            return not self._outbox and self._in_flight == 0

    def idle(self) -> bool:
        """Nothing is being published right now (the outbox may hold messages)."""
        with self._lock:
            return self._in_flight == 0

    def _send(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                batch = [] if self._paused.is_set() else list(self._outbox)[:200]
                for _ in batch:
                    self._outbox.popleft()
                self._in_flight = len(batch)
            if not batch:
                time.sleep(0.1)
                continue
            futures = [
                (m, self._publisher.publish(self._path("topics", m.topic), m.data, **m.attributes))
                for m in batch
            ]  # retried by the client for up to PUBLISH_TIMEOUT_S
            failed: list[Outgoing] = []
            for message, future in futures:
                try:
                    message_id = str(future.result(timeout=60))
                except Exception as exc:  # noqa: BLE001 - Pub/Sub down: keep it for later
                    self.ledger.errors[f"publish {type(exc).__name__}"] += 1
                    failed.append(message)
                    continue
                with self._lock:
                    self.ledger.published.setdefault(message.key, []).append(message_id)
                    self.sent[message.key] = message
            with self._lock:
                self._outbox.extendleft(reversed(failed))
                self._in_flight = 0
            if failed:
                time.sleep(0.5)

    # -- pending ---------------------------------------------------------------------------
    def _consume(self) -> None:
        path = self._path("subscriptions", wiring.ERP_SUBSCRIPTION)
        while not self._stop.is_set():
            received = self._pull(path)
            for item in received:
                self._receive(item.message)
            if received:
                self._ack(path, [m.ack_id for m in received])

    def _receive(self, message: Any) -> None:
        attributes = dict(message.attributes)
        with self._lock:
            message_id = f"{self.generation}:{message.message_id}"
            self.ledger.deliveries[message_id] += 1
            if self.ledger.deliveries[message_id] > 1:
                return  # Pub/Sub delivered this message again: integrated already
            request_id = attributes.get("requestId", "")
            self.ledger.receipts.append(
                Receipt(
                    request_id,
                    message_id,
                    attributes.get("entity", ""),
                    attributes.get("type", ""),
                    self.clock(),
                )
            )
            sent = self.ledger.statuses.setdefault(request_id, [])
            status = first_status(request_id) if not sent else "DONE"
            sent.append(status)
            self._sequence += 1
            key = f"status-{self._sequence:06d}"
            self.ledger.status_keys.setdefault(request_id, []).append(key)
        self.enqueue(status_message(key, attributes, status, len(sent)))

    # -- dead letters ----------------------------------------------------------------------
    def _collect(self) -> None:
        while not self._stop.is_set():
            got = 0
            for subscription in DEAD_LETTER_SUBSCRIPTIONS:
                path = self._path("subscriptions", subscription)
                received = self._pull(path)
                with self._lock:
                    for item in received:
                        m = item.message
                        letter = DeadLetter(subscription, m.message_id, m.data, dict(m.attributes))
                        self.ledger.dead_letters.append(letter)
                if received:
                    self._ack(path, [m.ack_id for m in received])
                got += len(received)
            if not got:
                time.sleep(0.5)

    # -- Pub/Sub ---------------------------------------------------------------------------
    def _path(self, kind: str, name: str) -> str:
        return f"projects/{self.project}/{kind}/{name}"

    def _pull(self, path: str, timeout: float = 10.0) -> list[Any]:
        """One pull that answers at once. A pull left waiting on the emulator (it holds one
        for up to 90 s) after the client gave up still takes messages, which then come back
        only after the ack deadline: so the ERP never leaves one waiting."""
        request = {"subscription": path, "max_messages": 100, "return_immediately": True}
        try:
            response = self._subscriber.pull(request=request, timeout=timeout, retry=None)
        except Exception as exc:  # noqa: BLE001 - Pub/Sub down: try again
            self.ledger.errors[f"pull {type(exc).__name__}"] += 1
            time.sleep(0.5)
            return []
        if not response.received_messages:
            time.sleep(0.2)
        return list(response.received_messages)

    def _ack(self, path: str, ack_ids: list[str]) -> None:
        try:
            self._subscriber.acknowledge(
                request={"subscription": path, "ack_ids": ack_ids}, timeout=10
            )
        except Exception as exc:  # noqa: BLE001 - Pub/Sub will deliver them again
            self.ledger.errors[f"ack {type(exc).__name__}"] += 1

    # -- views -----------------------------------------------------------------------------
    def snapshot(self) -> _Ledger:
        """A consistent copy of the ledger."""
        with self._lock:
            return _Ledger(
                list(self.ledger.receipts),
                Counter(self.ledger.deliveries),
                {k: list(v) for k, v in self.ledger.statuses.items()},
                {k: list(v) for k, v in self.ledger.status_keys.items()},
                {k: list(v) for k, v in self.ledger.published.items()},
                list(self.ledger.dead_letters),
                Counter(self.ledger.errors),
            )

    def received_count(self) -> int:
        """Distinct pending messages received so far."""
        with self._lock:
            return len(self.ledger.receipts)


def status_message(key: str, pending: dict[str, str], status: str, attempt: int) -> Outgoing:
    """The ERP's result for one pending message, for `roit-status`."""
    result: dict[str, Any] = {
        "requestId": pending.get("requestId"),
        "reference": pending.get("reference"),
        "status": status,
        "message": {"DONE": "Integrated", "WARNING": "Integrated with warnings"}.get(
            status, "Supplier not registered in the ERP"
        ),
        "integrationId": pending.get("integrationId"),
        "systemInfo": {"system": "soak-erp", "attempt": attempt},
    }
    if status != "ERROR":
        result["entryReference"] = f"ERP-{key}"
        result["entryDate"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    attributes = {"soakKey": key, "correlationId": pending.get("correlationId", "")}
    return Outgoing(key, wiring.STATUS_TOPIC, json.dumps(result).encode(), attributes)
