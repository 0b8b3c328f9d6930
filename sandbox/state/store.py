"""The sandbox's state: requests and their lifecycle, deliveries, under one lock.

PENDING requests are indexed per ``(integrationId, entity, type)`` in arrival order, so a
pending call takes a page in O(page) even with a large seed, and every status change goes
through :meth:`Store._move`, which keeps that index and the request's history in step.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.models import RequestStatus

__all__ = ["NotFoundError", "RequestRecord", "Store", "utc_now_iso"]

JsonDict = dict[str, Any]
_QueueKey = tuple[str, str, str | None]


def utc_now_iso() -> str:
    """Now, ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class NotFoundError(KeyError):
    """No request with that requestId (for that integration)."""


@dataclass
class RequestRecord:
    """One ROIT request: an entity waiting for (or done with) integration."""

    id: str
    request_id: str
    reference: str
    integration_id: str
    entity: str
    type: str | None
    master_id: str
    document: JsonDict
    status: RequestStatus = RequestStatus.PENDING
    created_at: str = field(default_factory=utc_now_iso)
    updated_at: str = field(default_factory=utc_now_iso)
    is_priority: bool = False
    retry_after: int = 0
    message: str = ""
    metadata: JsonDict = field(default_factory=dict)
    entry_reference: int | str | None = None
    entry_date: str | None = None
    system_info: JsonDict = field(default_factory=dict)
    times_returned: int = 0
    history: list[JsonDict] = field(default_factory=list)
    seq: int = 0

    def to_roit(self, *, with_document: bool) -> JsonDict:
        """The record as ROIT's API shows it (contract §6 / §8), plus a few extra fields."""
        record: JsonDict = {
            "id": self.id,
            "entity": self.entity,
            "type": self.type,
            "masterId": self.master_id,
            "requestId": self.request_id,
            "reference": self.reference,
            "integrationId": self.integration_id,
            "status": self.status.value,
            "isPriority": self.is_priority,
            "retryAfter": self.retry_after,
            "message": self.message,
            "metadata": self.metadata,
            "entryReference": self.entry_reference,
            "entryDate": self.entry_date,
            "systemInfo": self.system_info,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            # Fields ROIT might add; the connector must forward them untouched.
            "origin": "ROIT_CAPTURE",
            "tenant": {"id": "sandbox-tenant", "name": "ROIT Sandbox"},
        }
        if with_document:
            record["document"] = self.document
        return record

    def to_state(self) -> JsonDict:
        """The record as the inspection API shows it."""
        return {
            "requestId": self.request_id,
            "reference": self.reference,
            "integrationId": self.integration_id,
            "entity": self.entity,
            "type": self.type,
            "status": self.status.value,
            "timesReturned": self.times_returned,
            "message": self.message,
            "entryReference": self.entry_reference,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "history": list(self.history),
        }


class Store:
    """Requests and deliveries; every public method is atomic (one lock)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._requests: dict[str, RequestRecord] = {}
        self._queues: dict[_QueueKey, dict[str, int]] = {}
        self._seq = itertools.count()
        self.deliveries: list[JsonDict] = []
        # request ids of each pending page whose answer was dropped after it was committed
        self.dropped_pages: list[list[str]] = []

    # -- lifecycle -------------------------------------------------------------------------
    def _move(self, record: RequestRecord, status: RequestStatus, source: str) -> None:
        key = (record.integration_id, record.entity, record.type)
        if record.status is RequestStatus.PENDING and record.history:
            self._queues.get(key, {}).pop(record.request_id, None)
        record.status = status
        record.updated_at = utc_now_iso()
        record.history.append({"status": status.value, "at": record.updated_at, "source": source})
        if status is RequestStatus.PENDING:
            record.seq = next(self._seq)
            self._queues.setdefault(key, {})[record.request_id] = record.seq

    def add(self, record: RequestRecord, source: str = "seed") -> None:
        """Register a new request in ``record.status``."""
        with self.lock:
            self._requests[record.request_id] = record
            self._move(record, record.status, source)

    def take_pending(
        self, integration_id: str, entity: str, type_: str | None, limit: int
    ) -> list[RequestRecord]:
        """Atomically take up to ``limit`` oldest PENDING requests and mark them PROCESSING."""
        with self.lock:
            keys: list[_QueueKey]
            if type_ is not None:
                keys = [(integration_id, entity, type_)]
            else:
                keys = [k for k in self._queues if k[0] == integration_id and k[1] == entity]
            streams: list[Iterable[tuple[int, str]]] = [
                ((seq, rid) for rid, seq in self._queues.get(k, {}).items()) for k in keys
            ]
            chosen = [rid for _, rid in itertools.islice(heapq.merge(*streams), limit)]
            taken = []
            for rid in chosen:
                record = self._requests[rid]
                record.times_returned += 1
                self._move(record, RequestStatus.PROCESSING, "pending")
                taken.append(record)
            return taken

    def get(self, request_id: str, integration_id: str | None = None) -> RequestRecord:
        """The request with that id (belonging to ``integration_id`` when given).

        Raises:
            NotFoundError: no such request.
        """
        with self.lock:
            record = self._requests.get(request_id)
            if record is None or (integration_id and record.integration_id != integration_id):
                raise NotFoundError(request_id)
            return record

    def update_status(
        self, request_id: str, integration_id: str, status: RequestStatus, fields: JsonDict
    ) -> JsonDict:
        """Apply a status update; return the updated ROIT record.

        Raises:
            NotFoundError: unknown request.
            ValueError: ``reference`` does not match the request's reference.
        """
        with self.lock:
            record = self.get(request_id, integration_id)
            if fields["reference"] != record.reference:
                raise ValueError("reference does not match the request's reference")
            record.message = fields["message"]
            for attr in ("entry_reference", "entry_date"):
                if fields.get(attr) is not None:
                    setattr(record, attr, fields[attr])
            record.system_info = fields.get("system_info") or record.system_info
            record.metadata = {**record.metadata, **(fields.get("metadata") or {})}
            self._move(record, status, "status")
            return record.to_roit(with_document=False)

    def reprocess(self, request_id: str, integration_id: str) -> JsonDict:
        """Put a request back to PENDING (the next pending call returns it again).

        Raises:
            NotFoundError: unknown request.
        """
        with self.lock:
            record = self.get(request_id, integration_id)
            record.message = "Request sent to reprocess"
            self._move(record, RequestStatus.PENDING, "reprocess")
            return record.to_roit(with_document=False)

    # -- inspection ------------------------------------------------------------------------
    def select(
        self,
        status: str | None = None,
        entity: str | None = None,
        type_: str | None = None,
        limit: int | None = None,
    ) -> list[JsonDict]:
        """Inspection view of the requests matching every given filter."""
        with self.lock:
            out = []
            for record in self._requests.values():
                if status and record.status.value != status:
                    continue
                if entity and record.entity != entity:
                    continue
                if type_ and record.type != type_:
                    continue
                out.append(record.to_state())
                if limit is not None and len(out) >= limit:
                    break
            return out

    def summary(self, entity: str | None = None, type_: str | None = None) -> JsonDict:
        """Compact view for many requests: counts and requestIds per status, how many times
        ``pending`` returned each request, those it returned more than once, and the pages
        whose answer was dropped after they were committed (``drop_after_commit_next``)."""
        with self.lock:
            ids: dict[str, list[str]] = {s.value: [] for s in RequestStatus}
            times: dict[str, int] = {}
            for record in self._requests.values():
                if (entity and record.entity != entity) or (type_ and record.type != type_):
                    continue
                ids[record.status.value].append(record.request_id)
                times[record.request_id] = record.times_returned
            pages = [[rid for rid in page if rid in times] for page in self.dropped_pages]
        return {
            "droppedAfterCommit": [page for page in pages if page],
            "count": len(times),
            "byStatus": {status: len(members) for status, members in ids.items()},
            "requestIds": ids,
            "timesReturned": times,
            "returnedMoreThanOnce": [rid for rid, n in times.items() if n > 1],
        }

    def counts_by_status(self) -> dict[str, int]:
        """How many requests are in each status (every status listed)."""
        with self.lock:
            counts = dict.fromkeys((s.value for s in RequestStatus), 0)
            for record in self._requests.values():
                counts[record.status.value] += 1
            return counts

    def __len__(self) -> int:
        with self.lock:
            return len(self._requests)

    def page_dropped(self, request_ids: list[str]) -> None:
        """Remember a pending page that was committed (PROCESSING) but never reached the client."""
        with self.lock:
            self.dropped_pages.append(list(request_ids))

    def add_delivery(self, delivery: JsonDict) -> None:
        """Keep a received delivery for inspection."""
        with self.lock:
            self.deliveries.append(delivery)

    def clear(self) -> None:
        """Forget every request and delivery."""
        with self.lock:
            self._requests.clear()
            self._queues.clear()
            self.deliveries.clear()
            self.dropped_pages.clear()
