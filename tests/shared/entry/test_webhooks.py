"""Standard Webhooks verification: every signature case, rotation and replay."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

import pytest
import standardwebhooks

from shared.core.errors import WebhookVerificationError
from shared.entry.webhook_secrets import parse_webhook_secrets
from shared.entry.webhooks import WebhookVerifier

pytestmark = pytest.mark.unit

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


@pytest.mark.parametrize(
    "junk",
    ["v1", "v1,***", "v2,AAAA", ",", "v1,a,b", "v1," + "A" * 3, "\u00e9", "v1,!!!!"],
)
def test_a_malformed_signature_beside_a_valid_one_does_not_hide_it(junk: str) -> None:
    headers = sign(NEW)
    headers["webhook-signature"] = f"{junk} {headers['webhook-signature']}"
    assert WebhookVerifier(lambda: [NEW]).verify(BODY, headers) == "msg-1"


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [("1e20", "not a number"), ("nan", "not a number"), ("-5", "not a number"), ("", "missing")],
)
def test_odd_timestamps_are_refused_with_a_reason(timestamp: str, reason: str) -> None:
    headers = {**sign(NEW), "webhook-timestamp": timestamp}
    with pytest.raises(WebhookVerificationError, match=reason):
        WebhookVerifier(lambda: [NEW]).verify(BODY, headers)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "no webhook secret"),
        ("   ", "no webhook secret"),
        ("not-a-whsec", "#1 does not start with whsec_"),
        ("whsec_", "#1 has a 0-byte key"),
        ("whsec_" + base64.b64encode(b"short").decode(), "#1 has a 5-byte key"),
        (f"{NEW} whsec_!!notbase64!!", "#2 is not base64"),
    ],
)
def test_bad_webhook_secrets_are_refused_by_position_never_by_value(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as caught:
        parse_webhook_secrets(raw)
    assert "notbase64" not in str(caught.value) and "short" not in str(caught.value)


def test_a_bad_webhook_secret_stops_the_cold_start_naming_the_variable(monkeypatch) -> None:
    from shared.core.errors import ConfigurationError
    from shared.core.settings import load_settings
    from shared.entry.settings import ReprocessSettings

    monkeypatch.setenv("ROIT_BASE_URL", "http://roit.test")
    monkeypatch.setenv("ROIT_INTEGRATION_ID", "i")
    monkeypatch.setenv("ROIT_CLIENT_ID", "a")
    monkeypatch.setenv("ROIT_CLIENT_SECRET", "b")
    monkeypatch.setenv("ROIT_WEBHOOK_SECRETS", "whsec_dG9vc2hvcnQ=")
    with pytest.raises(ConfigurationError, match="ROIT_WEBHOOK_SECRETS") as caught:
        load_settings(ReprocessSettings)
    assert "dG9vc2hvcnQ" not in str(caught.value)
