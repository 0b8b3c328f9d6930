"""Fixtures for the function tests: functions loaded through functions-framework, wired to
the ROIT sandbox and the real Pub/Sub emulator."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from functions_framework import create_app

REPO = Path(__file__).resolve().parents[2]
MARKER = "SECRET-MARKER-7f3a"  # planted in bad inputs; must never come back


@dataclass
class PubSub:
    """Topics and subscriptions on the emulator, named uniquely per test."""

    project: str
    publisher: Any = None
    subscriber: Any = None
    created: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        from google.cloud import pubsub_v1

        self.publisher = pubsub_v1.PublisherClient()
        self.subscriber = pubsub_v1.SubscriberClient()

    def topic(self, prefix: str) -> tuple[str, str]:
        """Create a topic and a pull subscription on it; returns (topic id, subscription path)."""
        topic_id = f"{prefix}-{uuid.uuid4().hex[:8]}"
        topic = self.publisher.topic_path(self.project, topic_id)
        self.publisher.create_topic(request={"name": topic})
        sub = self.subscriber.subscription_path(self.project, f"{topic_id}-sub")
        self.subscriber.create_subscription(request={"name": sub, "topic": topic})
        return topic_id, sub

    def delete_topic(self, topic_id: str) -> None:
        self.publisher.delete_topic(
            request={"topic": self.publisher.topic_path(self.project, topic_id)}
        )

    def pull(
        self, subscription: str, *, expect: int | None = None, timeout_s: float = 10
    ) -> list[Any]:
        """Pull and acknowledge until ``expect`` messages arrived, or the queue stays empty."""
        received: list[Any] = []
        deadline = time.monotonic() + timeout_s
        empty_rounds = 0
        while time.monotonic() < deadline:
            request = {"subscription": subscription, "max_messages": 1000}
            if expect is None:  # what was published before the call returned is there now
                request["return_immediately"] = True
            response = self.subscriber.pull(request=request, timeout=5)
            if response.received_messages:
                empty_rounds = 0
                received.extend(m.message for m in response.received_messages)
                self.subscriber.acknowledge(
                    request={
                        "subscription": subscription,
                        "ack_ids": [m.ack_id for m in response.received_messages],
                    }
                )
                if expect is not None and len(received) >= expect:
                    break
            else:
                empty_rounds += 1
                if expect is None and empty_rounds >= 2:
                    break
                time.sleep(0.1)
        return received


@pytest.fixture
def pubsub(pubsub_emulator, monkeypatch: pytest.MonkeyPatch) -> PubSub:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host)
    return PubSub(project=pubsub_emulator.project)


@pytest.fixture
def base_env(sandbox) -> dict[str, str]:
    """What every function needs to reach the sandbox (credentials from the environment)."""
    return {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_GCP_PROJECT": "roit-local",
        "ROIT_RETRY_BACKOFF_BASE_S": "0.02",
        "ROIT_RETRY_BACKOFF_MAX_S": "0.1",
        "ROIT_RETRY_MAX_ATTEMPTS": "3",
        "ROIT_RETRY_BUDGET_S": "5",
        "ROIT_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def load_function(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``load_function(name, env)`` → a functions-framework test client for that function."""

    def load(name: str, env: dict[str, str]) -> Any:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        app = create_app(name, str(REPO / "functions" / name / "main.py"))
        return app.test_client()

    return load


def push_body(data: Any, *, attributes: dict[str, str] | None = None, age_s: float = 0) -> dict:
    """A Pub/Sub push envelope as a push subscription sends it."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    published = datetime.fromtimestamp(time.time() - age_s, UTC)
    return {
        "message": {
            "data": base64.b64encode(raw).decode(),
            "attributes": attributes or {},
            "messageId": uuid.uuid4().hex,
            "publishTime": published.isoformat().replace("+00:00", "Z"),
        },
        "subscription": "projects/roit-local/subscriptions/test-push",
        "deliveryAttempt": 1,
    }


def assert_clean_error(response: Any, *statuses: int) -> dict:
    """A JSON 4xx naming the problem, echoing nothing of the input."""
    assert response.status_code in statuses, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/json"
    text = response.get_data(as_text=True)
    assert MARKER not in text
    assert "Traceback" not in text
    body = response.get_json()
    assert body["error"]["code"] and body["error"]["message"]
    return body


@pytest.fixture(name="push_body")
def _push_body() -> Callable[..., dict]:
    return push_body


@pytest.fixture(name="clean_error")
def _clean_error() -> Callable[..., dict]:
    return assert_clean_error


@pytest.fixture
def poller(load_function, base_env, pubsub):
    """``poller(**env)`` → poll_pending wired to fresh topics; ``.topic``, ``.sub`` and
    ``.dead_sub`` name them."""
    topic, sub = pubsub.topic("roit-pending")
    dead_topic, dead_sub = pubsub.topic("roit-pending-dead-letter")

    def load(**env: str | None):  # None: leave that variable of base_env out
        merged = {**base_env, "ROIT_PENDING_TOPIC": topic, "ROIT_DEAD_LETTER_TOPIC": dead_topic}
        merged.update(env)
        return load_function("poll_pending", {k: v for k, v in merged.items() if v is not None})

    load.topic, load.sub, load.dead_sub = topic, sub, dead_sub
    return load


def log_lines(text: str) -> list[dict]:
    """The JSON log lines in ``text`` (a function's stdout)."""
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines


@pytest.fixture
def logged(capsys) -> Callable[[], list[dict]]:
    """``logged()`` → the JSON log lines written to stdout since the last call."""
    return lambda: log_lines(capsys.readouterr().out)
