"""Standard Webhooks verification: every signature case, rotation and replay."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from shared.errors import WebhookVerificationError
from shared.settings import parse_webhook_secrets
from shared.webhooks import WebhookVerifier

OLD = "whsec_" + base64.b64encode(b"old-secret-0123456789abcdef").decode()
NEW = "whsec_" + base64.b64encode(b"new-secret-0123456789abcdef").decode()
BODY = b'{"requestId":"req-1"}'


def sign(secret: str, body: bytes = BODY, msg_id: str = "msg-1", ts: float | None = None) -> dict:
    when = datetime.fromtimestamp(ts if ts is not None else time.time(), tz=UTC)
    signature = standardwebhooks.Webhook(secret).sign(msg_id, when, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


def test_valid_signature_passes() -> None:
    assert WebhookVerifier(lambda: [NEW]).verify(BODY, sign(NEW)) == "msg-1"


def test_wrong_secret_fails() -> None:
    with pytest.raises(WebhookVerificationError, match="does not match"):
        WebhookVerifier(lambda: [NEW]).verify(BODY, sign(OLD))


def test_tampered_body_fails() -> None:
    with pytest.raises(WebhookVerificationError):
        WebhookVerifier(lambda: [NEW]).verify(b'{"requestId":"req-2"}', sign(NEW))


@pytest.mark.parametrize("offset", [-301, +400])
def test_timestamp_outside_tolerance_fails(offset: int) -> None:
    headers = sign(NEW, ts=time.time() + offset)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        WebhookVerifier(lambda: [NEW]).verify(BODY, headers)


def test_replayed_id_fails_but_a_new_id_passes() -> None:
    verifier = WebhookVerifier(lambda: [NEW])
    verifier.verify(BODY, sign(NEW, msg_id="once"))
    with pytest.raises(WebhookVerificationError, match="replay"):
        verifier.verify(BODY, sign(NEW, msg_id="once"))
    verifier.verify(BODY, sign(NEW, msg_id="twice"))


def test_failed_attempt_does_not_burn_the_id() -> None:
    verifier = WebhookVerifier(lambda: [NEW])
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY, sign(OLD, msg_id="x"))
    verifier.verify(BODY, sign(NEW, msg_id="x"))


def test_rotation_accepts_both_secrets_then_only_the_new() -> None:
    current = [f"{NEW} {OLD}"]
    verifier = WebhookVerifier(lambda: parse_webhook_secrets(current[0]))
    verifier.verify(BODY, sign(OLD, msg_id="a"))
    verifier.verify(BODY, sign(NEW, msg_id="b"))
    current[0] = NEW
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY, sign(OLD, msg_id="c"))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"webhook-id": "x", "webhook-timestamp": "1"},
        {"webhook-id": "x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1"},
        {
            "webhook-id": "x",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,***",
        },
        {"webhook-id": "x", "webhook-timestamp": "yesterday", "webhook-signature": "v1,AAAA"},
    ],
)
def test_missing_or_malformed_headers_fail(headers) -> None:
    with pytest.raises(WebhookVerificationError):
        WebhookVerifier(lambda: [NEW]).verify(BODY, headers)


def test_replay_memory_is_bounded() -> None:
    verifier = WebhookVerifier(lambda: [NEW], max_ids=3)
    for i in range(10):
        verifier.verify(BODY, sign(NEW, msg_id=f"id-{i}"))
    assert len(verifier._seen) <= 3
