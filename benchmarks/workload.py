"""The real requests each function gets, and the direct sandbox call each one is held against.

A :class:`Workload` is set up once against a freshly reset sandbox:

* ``get_attachments`` / ``reprocess`` ask about an NF-e request that exists (PENDING);
* ``update_status`` reports DONE for a CT-e request the workload took (PROCESSING first);
* ``register_delivery`` registers one small COST_CENTER item;
* ``poll_pending`` drains its target (``DOCUMENT:NFSE``): a few documents at a cold start,
  none on a warm call (one pending call answering an empty page).

Each function's *direct* counterpart is the one sandbox call the function makes, sent by a
pooled httpx client with a token: what the function costs on top of it is the connector.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.stack import INTEGRATION_ID
from sandbox.control import SandboxControl

__all__ = [
    "ENDPOINTS",
    "HELLO_CALL",
    "POLL_TARGET",
    "Call",
    "Workload",
    "push_envelope",
    "take_processing",
]

ENDPOINTS = {
    "pending": "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending",
    "status": "/ibs-core-entrypoint/api/v1/entrypoint/requests/status",
    "attachs": "/ibs-core-entrypoint/api/v1/entrypoint/requests/attachs",
    "reprocess": "/ibs-core-entrypoint/api/v1/entrypoint/requests/reprocess",
    "delivery": "/ibs-core-delivery/api/v1/delivery",
}
"""ROIT's paths (the contract's), written out here so the anchors share no connector code."""

POLL_TARGET = "DOCUMENT:NFSE"
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Call:
    """One HTTP POST: a path (relative to a base URL) and its body."""

    path: str
    body: bytes
    headers: dict[str, str]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def push_envelope(data: bytes, attributes: dict[str, str] | None = None) -> bytes:
    """A Pub/Sub push envelope as a push subscription sends it."""
    published = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return _json(
        {
            "message": {
                "data": base64.b64encode(data).decode(),
                "attributes": attributes or {},
                "messageId": uuid.uuid4().hex,
                "publishTime": published,
            },
            "subscription": f"projects/roit-local/subscriptions/bench-{uuid.uuid4().hex[:6]}",
        }
    )


def take_processing(control: SandboxControl, token: str) -> tuple[str, str]:
    """A new CT-e request, taken by a pending call (so PROCESSING): (requestId, reference)."""
    import httpx

    control.seed(documents=1, types=["CTE"])
    answer = httpx.post(
        control.base_url + ENDPOINTS["pending"],
        content=_json({"entity": "DOCUMENT", "type": "CTE", "integrationId": INTEGRATION_ID}),
        headers={**JSON_HEADERS, "Authorization": token},
        timeout=30,
    ).json()
    (taken,) = answer["data"]
    return str(taken["requestId"]), str(taken["reference"])


@dataclass
class Workload:
    """Requests that exist at the sandbox, for every function."""

    attach_id: str
    status_id: str
    status_reference: str

    @classmethod
    def prepare(cls, control: SandboxControl, token: str) -> Workload:
        """Reset the sandbox and create the requests the calls name."""
        control.reset()
        (attach_id,) = control.seed(documents=1, types=["NFE"])
        request_id, reference = take_processing(control, token)
        return cls(attach_id, request_id, reference)

    # -- the function's request ------------------------------------------------------------
    def status_update(self, **extra: Any) -> dict[str, Any]:
        return {
            "requestId": self.status_id,
            "reference": self.status_reference,
            "status": "DONE",
            "message": "posted by the ERP",
            **extra,
        }

    def call(self, function: str) -> Call:
        """The real request ``function`` answers 200 to (a warm call for poll_pending: nothing
        pending for its target unless documents were seeded)."""
        if function in ("get_attachments", "reprocess"):
            return Call("/", _json({"requestId": self.attach_id}), JSON_HEADERS)
        if function == "update_status":
            return Call("/", push_envelope(_json(self.status_update())), JSON_HEADERS)
        if function == "register_delivery":
            delivery = {"entity": "COST_CENTER", "data": [{"code": "CC1", "name": "Bench"}]}
            return Call("/", push_envelope(_json(delivery)), JSON_HEADERS)
        if function == "poll_pending":
            return Call("/", b"{}", JSON_HEADERS)
        raise KeyError(function)

    # -- the direct sandbox call it is held against ------------------------------------------
    def direct(self, function: str, token: str) -> Call:
        """The sandbox call ``function`` makes, sent straight (for the warm-overhead anchor)."""
        headers = {**JSON_HEADERS, "Authorization": token}
        request = {"requestId": self.attach_id, "integrationId": INTEGRATION_ID}
        if function == "get_attachments":
            return Call(ENDPOINTS["attachs"], _json(request), headers)
        if function == "reprocess":
            return Call(ENDPOINTS["reprocess"], _json(request), headers)
        if function == "update_status":
            body = {**self.status_update(), "integrationId": INTEGRATION_ID}
            return Call(ENDPOINTS["status"], _json(body), headers)
        if function == "register_delivery":
            body = {
                "integrationId": INTEGRATION_ID,
                "entity": "COST_CENTER",
                "data": [{"code": "CC1", "name": "Bench"}],
                "isDefault": False,
            }
            return Call(ENDPOINTS["delivery"], _json(body), headers)
        if function == "poll_pending":
            entity, _, kind = POLL_TARGET.partition(":")
            body = {"entity": entity, "integrationId": INTEGRATION_ID, "type": kind}
            return Call(ENDPOINTS["pending"], _json(body), headers)
        raise KeyError(function)


HELLO_CALL = Call("/", b"{}", JSON_HEADERS)
