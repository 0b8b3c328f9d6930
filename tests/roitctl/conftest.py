"""Fixtures for roitctl's tests: a sandbox whose token-endpoint shape is restored after each
test, and a wired Pub/Sub project with the push functions under functions-framework."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from roitctl_helpers import Deployment

from devstack.processes.factories import free_port, function_process
from devstack.stack import wiring
from devstack.stack.layout import INTEGRATION_ID, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET


@pytest.fixture(scope="module")
def deployment(pubsub_emulator, sandbox_server) -> Iterator[Deployment]:
    project = f"roitctl-{uuid.uuid4().hex[:8]}"
    ports = {"update_status": free_port(), "register_delivery": free_port()}
    urls = {name: f"http://127.0.0.1:{port}/" for name, port in ports.items()}
    wiring.wire(pubsub_emulator.host, project, urls, retry_min_s=1, retry_max_s=1)
    common = {
        "ROIT_BASE_URL": sandbox_server.url,
        "ROIT_INTEGRATION_ID": INTEGRATION_ID,
        "ROIT_CLIENT_ID": SANDBOX_CLIENT_ID,
        "ROIT_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "ROIT_GCP_PROJECT": project,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
        "ROIT_RETRY_MAX_ATTEMPTS": "2",
        "ROIT_RETRY_BACKOFF_BASE_S": "0.05",
        "ROIT_RETRY_BUDGET_S": "5",
        "ROIT_LOG_LEVEL": "WARNING",
    }
    deployment = Deployment(project, pubsub_emulator.host)
    for name, topic in (("update_status", "roit-status"), ("register_delivery", "roit-deliveries")):
        env = {**common, "ROIT_DEAD_LETTER_TOPIC": wiring.dead_letter_topic(topic)}
        if name == "register_delivery":
            env["ROIT_DELIVERY_MAX_BATCH"] = "2"
        deployment.processes.append(function_process(name, ports[name], env))
    publisher, subscriber = wiring.emulator_clients(pubsub_emulator.host)
    deployment.publisher, deployment.subscriber = publisher, subscriber
    try:
        for process in deployment.processes:
            process.start()
        for process in deployment.processes:
            process.wait_ready(60)
        yield deployment
    finally:
        for process in deployment.processes:
            process.stop()
        subscriber.close()
        publisher.stop()
