"""The Pub/Sub wiring on the real emulator: what Terraform creates, and that the emulator
honours the retry and dead-letter policies."""

from __future__ import annotations

import http.server
import json
import threading
import time

import pytest

from devstack.processes.factories import free_port
from devstack.stack import wiring

pytestmark = pytest.mark.integration


class _FailingEndpoint(http.server.ThreadingHTTPServer):
    """A push endpoint that answers 503 to everything and records each delivery."""

    def __init__(self) -> None:
        self.deliveries: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.deliveries.append(json.loads(self.rfile.read(length)))
                self.send_response(503)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


@pytest.fixture
def failing_endpoint():
    server = _FailingEndpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_wiring_matches_terraform_and_dead_letters_after_five_attempts(
    pubsub_emulator, failing_endpoint
):
    project = f"wiring-{time.time_ns()}"
    endpoints = {"update_status": failing_endpoint.url, "register_delivery": "http://127.0.0.1:9/"}
    wired = wiring.wire(pubsub_emulator.host, project, endpoints, retry_min_s=1, retry_max_s=1)

    assert sorted(t.rsplit("/", 1)[1] for t in wired.topics) == sorted(
        [
            "roit-pending",
            "roit-pending-dead-letter",
            "roit-status",
            "roit-status-dead-letter",
            "roit-deliveries",
            "roit-deliveries-dead-letter",
        ]
    )
    assert sorted(s.rsplit("/", 1)[1] for s in wired.subscriptions) == sorted(
        [
            "roit-pending-erp",
            "roit-pending-dead-letter-sub",
            "roit-status-push",
            "roit-status-dead-letter-sub",
            "roit-deliveries-push",
            "roit-deliveries-dead-letter-sub",
        ]
    )
    publisher, subscriber = wiring.emulator_clients(pubsub_emulator.host)
    try:
        push = subscriber.get_subscription(subscription=wired.subscription("roit-status-push"))
        assert push.push_config.push_endpoint == failing_endpoint.url
        assert push.ack_deadline_seconds == 120
        assert push.dead_letter_policy.dead_letter_topic == wired.topic("roit-status-dead-letter")
        assert push.dead_letter_policy.max_delivery_attempts == 5
        assert push.retry_policy.minimum_backoff.total_seconds() == 1
        erp = subscriber.get_subscription(subscription=wired.subscription("roit-pending-erp"))
        assert not erp.push_config.push_endpoint
        assert erp.dead_letter_policy.max_delivery_attempts == 10
        assert erp.ack_deadline_seconds == 60

        publisher.publish(wired.topic("roit-status"), b'{"requestId": "r1"}', a="1").result(30)
        dead_letter_sub = wired.subscription("roit-status-dead-letter-sub")
        received = []
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            received = subscriber.pull(
                request={"subscription": dead_letter_sub, "max_messages": 10}, timeout=5
            ).received_messages
    finally:
        subscriber.close()
        publisher.stop()

    assert len(received) == 1
    message = received[0].message
    assert message.data == b'{"requestId": "r1"}'
    assert message.attributes["a"] == "1"
    assert message.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert len(failing_endpoint.deliveries) == 5
    assert "oidcToken" not in json.dumps(failing_endpoint.deliveries[0])
