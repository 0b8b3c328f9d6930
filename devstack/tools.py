"""Helpers for calling the functions by hand: signed webhook calls, ready-to-paste `curl`
commands and Pub/Sub push envelopes (a running stack's state: :mod:`devstack.stack.state`;
publishing and pulling: :mod:`devstack.stack.pubsub`)."""

from __future__ import annotations

import base64
import shlex
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = ["curl_command", "push_envelope", "signed_headers"]


def signed_headers(
    secret: str,
    body: str,
    *,
    msg_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, str]:
    """The Standard Webhooks headers for `body` signed with `secret` (`whsec_...`)."""
    import standardwebhooks

    webhook_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = now or datetime.now(UTC)
    signature = standardwebhooks.Webhook(secret).sign(webhook_id, timestamp, body)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


def curl_command(url: str, body: str, headers: Mapping[str, str] | None = None) -> str:
    """A ready-to-paste `curl` POSTing `body` as JSON with `headers`."""
    parts = ["curl", "-sS", "-X", "POST", url, "-H", "Content-Type: application/json"]
    for name, value in (headers or {}).items():
        parts += ["-H", f"{name}: {value}"]
    parts += ["--data-raw", body]
    return " ".join(shlex.quote(p) for p in parts)


def push_envelope(
    data: str | bytes,
    *,
    subscription: str,
    attributes: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> dict[str, Any]:
    """A Pub/Sub push request body, as a push subscription sends it."""
    raw = data.encode() if isinstance(data, str) else data
    return {
        "message": {
            "data": base64.b64encode(raw).decode("ascii"),
            "attributes": dict(attributes or {}),
            "messageId": message_id or str(uuid.uuid4().int)[:16],
            "publishTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        "subscription": subscription,
    }
