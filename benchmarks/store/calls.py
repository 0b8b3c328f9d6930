"""Which functions use the store, their environment with and without it, a fresh request for
each one, and what the store holds afterwards.

Every request is new to the store, so each one claims and records: a push envelope has a new
message id and publish time (``benchmarks.workload.push_envelope``), a webhook a new
``webhook-id`` and its own signature, a poll run takes and gives back the lease.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from benchmarks import shapes
from benchmarks.stack import BenchStack
from benchmarks.workload import JSON_HEADERS, Call, Workload
from devstack.processes.firestore_emulator import uses_store

__all__ = [
    "DEPLOYMENTS",
    "DESIGN",
    "WEBHOOK_SECRET",
    "check_answer",
    "count_records",
    "expected_records",
    "fresh_call",
    "store_env",
]

DEPLOYMENTS = {
    "update_status": "update_status",
    "register_delivery": "register_delivery",
    "reprocess": "reprocess-webhook",  # reprocess through IAM verifies no webhook: no store
    "poll_pending": "poll_pending",
}
"""The functions that use the store, and the deployment of each that does (as Terraform's
``idempotency_deployments``; ``devstack.processes.firestore_emulator.uses_store`` agrees)."""

DESIGN: dict[str, tuple[int, int]] = {
    "update_status": (3, 3),  # claim, the newest publish time, the outcome
    "register_delivery": (3, 3),  # claim, one batch accepted, the outcome
    "reprocess": (2, 2),  # claim the webhook-id, the outcome
    "poll_pending": (2, 2),  # the lease, its release
}
"""Firestore round trips per request by construction, (reads, writes): every change to a
record is one read, then one conditional write (``shared/idempotency/firestore.py``)."""

WEBHOOK_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def store_env(
    stack: BenchStack, name: str, *, host: str | None, collection: str = ""
) -> dict[str, str]:
    """``name``'s deployed environment (credentials from a mounted file) as the deployment
    that uses the store: with the store on the emulator at ``host``, or without (``None``)."""
    assert name in DEPLOYMENTS and uses_store(DEPLOYMENTS[name], name), name
    env = shapes.shape_env(stack, name, "file")
    if name == "reprocess":
        env |= {"ROIT_REPROCESS_CALLER_AUTH": "webhook", "ROIT_WEBHOOK_SECRETS": WEBHOOK_SECRET}
    if host is None:
        return {**env, "ROIT_IDEMPOTENCY_STORE": "memory"}
    return {
        **env,
        "ROIT_IDEMPOTENCY_STORE": "firestore",
        "ROIT_IDEMPOTENCY_COLLECTION": collection,
        "FIRESTORE_EMULATOR_HOST": host,
    }


def fresh_call(workload: Workload, name: str) -> Call:
    """A request ``name`` answers 200 to, never seen by the store before."""
    if name != "reprocess":
        return workload.call(name)  # push: a new envelope each time; poll: a run
    import standardwebhooks

    body = json.dumps({"requestId": workload.attach_id})
    webhook_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    headers = {
        **JSON_HEADERS,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(WEBHOOK_SECRET).sign(webhook_id, now, body),
    }
    return Call("/", body.encode(), headers)


def check_answer(name: str, response: httpx.Response) -> None:
    """A 200 that did the work: not a stored answer to a repeat.

    Raises:
        RuntimeError: the answer was not 200, or came from the store (the request was a
            repeat, so the figure would not measure the store's work).
    """
    if response.status_code != 200:
        raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:300]}")
    if response.headers.get("Webhook-Replayed") or _duplicate(response):
        raise RuntimeError(f"{name} answered a fresh request from the store: {response.text}")


def _duplicate(response: httpx.Response) -> bool:
    try:
        answer: Any = response.json()
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("duplicate") is True


def expected_records(name: str, requests: int) -> dict[str, int]:
    """The records ``requests`` fresh requests to ``name`` leave, by kind: one per push
    message (and one newest-publish-time record for the one ROIT request the statuses name),
    one per webhook-id; none for poll runs (each gives its lease back)."""
    if name == "update_status":
        return {"push": requests, "order": 1}
    if name == "register_delivery":
        return {"push": requests}
    if name == "reprocess":
        return {"webhook": requests}
    if name == "poll_pending":
        return {"lease": 0}
    raise KeyError(name)


def count_records(project: str, collection: str) -> dict[str, int]:
    """The records in ``collection``, by kind (the key's first part: ``push``, ``order``,
    ``webhook``, ``lease``), read with the client library from the emulator that
    ``FIRESTORE_EMULATOR_HOST`` names in this process."""
    from google.cloud import firestore

    client: Any = firestore.Client(project=project)
    kinds: dict[str, int] = {}
    try:
        for snapshot in client.collection(collection).select(["key"]).stream():
            kind = str(snapshot.get("key")).split("/", 1)[0]
            kinds[kind] = kinds.get(kind, 0) + 1
    finally:
        client.close()
    return kinds
