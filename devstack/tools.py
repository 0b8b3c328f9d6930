"""Helpers for talking to a running stack by hand: its state file, signed webhook calls,
Pub/Sub push envelopes and publishing to a topic.

`python -m devstack up` writes the state file (URLs, project, the generated local webhook
secret; mode 0600) and removes it on exit, so `python -m devstack sign ...` and
`python -m devstack publish ...` work from another terminal without copying anything.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import tempfile
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = [
    "StackNotRunningError",
    "curl_command",
    "publish",
    "push_envelope",
    "read_state",
    "remove_state",
    "signed_headers",
    "state_path",
    "write_state",
]


class StackNotRunningError(RuntimeError):
    """No state file: `python -m devstack up` is not running."""


def state_path() -> Path:
    """Where `up` records the running stack: `$DEVSTACK_STATE_FILE`, else one file per user."""
    if override := os.environ.get("DEVSTACK_STATE_FILE"):
        return Path(override)
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"roit-devstack-{os.getuid()}.json"


def write_state(state: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write the state file, readable by the current user only."""
    target = path or state_path()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(state, handle, indent=2)
    return target


def read_state(path: Path | None = None) -> dict[str, Any]:
    """The running stack's state.

    Raises:
        StackNotRunningError: no stack is recorded.
    """
    target = path or state_path()
    try:
        return dict(json.loads(target.read_text()))
    except FileNotFoundError:
        raise StackNotRunningError(
            f"no running stack recorded in {target}: start one with `python -m devstack up`"
        ) from None


def remove_state(path: Path | None = None, *, owner_pid: int | None = None) -> None:
    """Delete the state file (only if `owner_pid` wrote it, when given)."""
    target = path or state_path()
    try:
        if owner_pid is not None and read_state(target).get("pid") != owner_pid:
            return
        target.unlink()
    except (FileNotFoundError, StackNotRunningError):
        pass


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


def publish(
    host: str, project: str, topic: str, data: str | bytes, attributes: Mapping[str, str]
) -> str:
    """Publish one message to `topic` on the emulator at `host`; returns its message id."""
    from devstack.stack.wiring import emulator_clients

    publisher, subscriber = emulator_clients(host)
    try:
        raw = data.encode() if isinstance(data, str) else data
        future = publisher.publish(f"projects/{project}/topics/{topic}", raw, **attributes)
        return str(future.result(timeout=30))
    finally:
        subscriber.close()
        publisher.stop()
