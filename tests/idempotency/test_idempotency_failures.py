"""The store in the failure table (docs/concepts.md): when it is unavailable every
edge fails closed, before ROIT is called. Functions through functions-framework's test client,
the store pointed at a port where nothing listens; ROIT is the sandbox."""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks
from functions_framework import create_app

from devstack.processes.ports import free_port

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def down(sandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``down(name, **env)``: the function, its store unreachable."""
    env = {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_GCP_PROJECT": "roit-local",
        "ROIT_DEAD_LETTER_TOPIC": "roit-dead-letter",
        "ROIT_PENDING_TOPIC": "roit-pending",
        "ROIT_IDEMPOTENCY_STORE": "firestore",
        "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{free_port()}",  # nothing listens there
    }

    def load(name: str, **extra: str) -> Any:
        for key, value in {**env, **extra}.items():
            monkeypatch.setenv(key, value)
        return create_app(name, str(REPO / "functions" / name / "main.py")).test_client()

    return load


def _calls(sandbox) -> dict[str, dict[str, int]]:
    return sandbox.control.stats()["calls"]


def _timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_a_push_message_is_retried_when_the_store_is_down(sandbox, down) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    status = {"requestId": state["requestId"], "reference": "r", "status": "DONE", "message": "m"}
    envelope = {
        "message": {
            "data": base64.b64encode(json.dumps(status).encode()).decode(),
            "messageId": uuid.uuid4().hex,
            "publishTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
    }
    answer, took = _timed(lambda: down("update_status").post("/", json=envelope))
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "retry", "error": "store"}
    assert "status" not in _calls(sandbox) and took < 8


def test_a_webhook_is_refused_503_when_the_store_is_down(sandbox, down) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    raw = json.dumps({"requestId": state["requestId"]})
    msg_id, when = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(SECRET).sign(msg_id, when, raw),
    }
    fn = down("reprocess", ROIT_REPROCESS_CALLER_AUTH="webhook", ROIT_WEBHOOK_SECRETS=SECRET)
    answer, took = _timed(
        lambda: fn.post("/", data=raw, headers=headers, content_type="application/json")
    )
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "store_unavailable"
    assert "reprocess" not in _calls(sandbox) and took < 8


def test_a_poll_run_does_not_start_when_the_store_is_down(sandbox, down) -> None:
    sandbox.control.reset(documents=2)
    answer, took = _timed(lambda: down("poll_pending").post("/", json={}))
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "store_unavailable"
    assert "pending" not in _calls(sandbox) and took < 8


def test_without_a_store_a_function_says_once_that_effects_are_per_instance(
    sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for key, value in {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_DEAD_LETTER_TOPIC": "projects/roit-local/topics/roit-dead-letter",
    }.items():
        monkeypatch.setenv(key, value)
    create_app("update_status", str(REPO / "functions" / "update_status" / "main.py"))
    events = [getattr(r, "fields", {}).get("event") for r in caplog.records]
    assert events.count("idempotency_per_instance") == 1
