"""The fuzz tier's stack: every function as a real functions-framework process, wired to the
session's ROIT sandbox and Pub/Sub emulator, started once for the whole tier.

Hypothesis profiles (``FUZZ_PROFILE``): ``fuzz-ci`` (the default, what ``make test`` runs: a
fixed budget of a few thousand examples over all functions) and ``fuzz-deep`` (``make fuzz``:
``FUZZ_SCALE`` times as many, 20 by default). Both keep failing examples in the example
database under ``.hypothesis/`` (ignored by git), so a failure is tried first on the next run;
every real failure found also has an explicit regression case in the tests.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fuzzkit import (
    DELIVERY_BATCH,
    SECOND_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    FunctionUnderTest,
    RawRequest,
    build_request,
    check_log,
    check_reply,
    json_bytes,
    sign,
)
from google.api_core.exceptions import DeadlineExceeded
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from devstack.processes.factories import function_process
from devstack.processes.managed import ManagedProcess
from devstack.stack.wiring import emulator_clients
from sandbox.control import SandboxControl

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DB = REPO / ".hypothesis" / "examples"

_COMMON = {
    "deadline": None,  # real processes on a shared machine: no timing assertions
    "database": DirectoryBasedExampleDatabase(str(EXAMPLES_DB)),
    "derandomize": False,
    "print_blob": True,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,
    ],
}
settings.register_profile("fuzz-ci", **_COMMON)
settings.register_profile("fuzz-deep", **_COMMON)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here is a fuzz test over real processes; deep runs get the time they need."""
    from fuzzkit import SCALE

    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.fuzz)
            item.add_marker(pytest.mark.integration)
            if SCALE > 1:
                item.add_marker(pytest.mark.timeout(300 * SCALE))


@dataclass
class FuzzStack:
    """What the fuzz tests talk to."""

    sandbox: SandboxControl
    sandbox_url: str
    integration_id: str
    functions: dict[str, FunctionUnderTest]
    emulator_host: str
    project: str
    topics: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, str] = field(default_factory=dict)
    _clients: Any = None

    def __repr__(self) -> str:  # Hypothesis prints the arguments of a failing example
        return f"FuzzStack({sorted(self.functions)})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def fn(self, label: str) -> FunctionUnderTest:
        return self.functions[label]

    def pull_all(self, subscription_key: str) -> list[Any]:
        """Pull and acknowledge what the subscription holds now (until two empty pulls)."""
        return self.pull(subscription_key, until=lambda _: False, wait=False)

    def pull(
        self,
        subscription_key: str,
        *,
        until: Callable[[list[Any]], bool],
        wait: bool = True,
        give_up_s: float = 60.0,
    ) -> list[Any]:
        """Pull and acknowledge until ``until(received)`` holds. With ``wait``, empty pulls
        wait for messages (Pub/Sub may answer a pull with fewer than it holds) until
        ``give_up_s`` — a bound on waiting, not an assertion: the caller checks what came."""
        _, subscriber = self._clients
        path = self.subscriptions[subscription_key]
        received: list[Any] = []
        empty = 0
        give_up = time.monotonic() + give_up_s
        while not until(received) and time.monotonic() < give_up:
            request = {"subscription": path, "max_messages": 200, "return_immediately": not wait}
            try:
                response = subscriber.pull(request=request, timeout=5 if wait else 30)
            except DeadlineExceeded:  # a waiting pull that found nothing
                response = None
            messages = response.received_messages if response else []
            if not messages:
                empty += 1
                if not wait and empty >= 2:
                    break
                continue
            empty = 0
            received.extend(m.message for m in messages)
            subscriber.acknowledge(
                request={"subscription": path, "ack_ids": [m.ack_id for m in messages]}
            )
        return received


def _topics(host: str, project: str) -> tuple[dict[str, str], dict[str, str], Any]:
    import grpc  # type: ignore[import-untyped]
    from google.cloud import pubsub_v1
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    publisher, admin = emulator_clients(host)
    admin.close()
    # dead letters keep the (hostile, sometimes large) original data: pulls exceed gRPC's 4 MiB
    channel = grpc.insecure_channel(host, options=[("grpc.max_receive_message_length", 1 << 28)])
    subscriber = pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel))
    suffix = uuid.uuid4().hex[:8]
    topics, subscriptions = {}, {}
    for key in ("pending", "pending-dead-letter", "status-dead-letter", "deliveries-dead-letter"):
        topic_id = f"fuzz-{key}-{suffix}"
        publisher.create_topic(name=f"projects/{project}/topics/{topic_id}")
        sub = f"projects/{project}/subscriptions/{topic_id}-sub"
        subscriber.create_subscription(
            request={"name": sub, "topic": f"projects/{project}/topics/{topic_id}"}
        )
        topics[key], subscriptions[key] = topic_id, sub
    return topics, subscriptions, (publisher, subscriber)


@pytest.fixture(scope="session")
def fuzz_stack(
    sandbox_server: ManagedProcess, _sandbox_control: SandboxControl, pubsub_emulator: Any
) -> Iterator[FuzzStack]:
    """Six function processes (reprocess twice: IAM and webhook deployments)."""
    integration_id = _sandbox_control.credentials().integration_id
    topics, subscriptions, clients = _topics(pubsub_emulator.host, pubsub_emulator.project)
    base = {
        "ROIT_BASE_URL": sandbox_server.url,
        "ROIT_INTEGRATION_ID": integration_id,
        "ROIT_CLIENT_ID": "sandbox-client",
        "ROIT_CLIENT_SECRET": "sandbox-secret",
        "ROIT_GCP_PROJECT": pubsub_emulator.project,
        "ROIT_LOG_LEVEL": "DEBUG",  # the most log lines there can be: none may echo the input
        "ROIT_RETRY_BACKOFF_BASE_S": "0.02",
        "ROIT_RETRY_BACKOFF_MAX_S": "0.1",
        "ROIT_RETRY_MAX_ATTEMPTS": "3",
        "ROIT_RETRY_BUDGET_S": "20",
    }
    pubsub = {"PUBSUB_EMULATOR_HOST": pubsub_emulator.host}
    specs: dict[str, tuple[str, dict[str, str]]] = {
        "get_attachments": ("get_attachments", base),
        "reprocess": ("reprocess", {**base, "ROIT_REPROCESS_CALLER_AUTH": "iam"}),
        "reprocess-webhook": (
            "reprocess",
            {
                **base,
                "ROIT_REPROCESS_CALLER_AUTH": "webhook",
                "ROIT_WEBHOOK_SECRETS": f"{SECOND_WEBHOOK_SECRET} {WEBHOOK_SECRET}",
            },
        ),
        "poll_pending": (
            "poll_pending",
            {
                **base,
                **pubsub,
                "ROIT_PENDING_TOPIC": topics["pending"],
                "ROIT_DEAD_LETTER_TOPIC": topics["pending-dead-letter"],
                "ROIT_POLL_TARGETS": "DOCUMENT",
                "ROIT_POLL_TIME_BUDGET_S": "60",
                "ROIT_POLL_MAX_PAGES": "5",
            },
        ),
        "update_status": (
            "update_status",
            {**base, **pubsub, "ROIT_DEAD_LETTER_TOPIC": topics["status-dead-letter"]},
        ),
        "register_delivery": (
            "register_delivery",
            {
                **base,
                **pubsub,
                "ROIT_DEAD_LETTER_TOPIC": topics["deliveries-dead-letter"],
                "ROIT_DELIVERY_MAX_BATCH": str(DELIVERY_BATCH),
            },
        ),
    }
    processes = {
        label: function_process(name, env=env, label=label) for label, (name, env) in specs.items()
    }
    try:
        for process in processes.values():
            process.start()
        for process in processes.values():
            process.wait_ready(90)
        functions = {label: FunctionUnderTest(label, p) for label, p in processes.items()}
        for fn in functions.values():
            fn.started()
        yield FuzzStack(
            sandbox=_sandbox_control,
            sandbox_url=sandbox_server.url,
            integration_id=integration_id,
            functions=functions,
            emulator_host=pubsub_emulator.host,
            project=pubsub_emulator.project,
            topics=topics,
            subscriptions=subscriptions,
            _clients=clients,
        )
    finally:
        for process in processes.values():
            process.stop()
        publisher, subscriber = clients
        subscriber.close()
        publisher.transport.close()


@dataclass(frozen=True)
class Seeded:
    """The sandbox's requests for one test: PENDING documents, and RECEIVED ones (not ready)."""

    ready: list[dict[str, Any]]
    received: list[dict[str, Any]]

    def __repr__(self) -> str:
        return f"Seeded({len(self.ready)} ready, {len(self.received)} received)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


@pytest.fixture
def seeded(fuzz_stack: FuzzStack) -> Seeded:
    """A freshly reset sandbox with a few documents (ids change per test: strategies draw an
    index into these lists, so a stored example replays against any seed)."""
    fuzz_stack.sandbox.reset(documents=8, received=2)
    states = fuzz_stack.sandbox.requests()
    for fn in fuzz_stack.functions.values():
        fn.new_log()  # start every test's log check from here
    return Seeded(
        ready=[s for s in states if s["status"] == "PENDING"],
        received=[s for s in states if s["status"] == "RECEIVED"],
    )


@pytest.fixture(autouse=True)
def _functions_stay_up(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every fuzz test (a batch of examples): every function process is still up with
    the same gunicorn worker, and serves a known-good request."""
    yield
    if "fuzz_stack" in request.fixturenames:
        known_good(request.getfixturevalue("fuzz_stack"))


def known_good(stack: FuzzStack) -> None:
    """One valid request to each function: each answers 2xx, and stays up."""
    (request_id,) = stack.sandbox.seed(documents=1)
    reference = stack.sandbox.request(request_id)["reference"]
    body = json_bytes({"requestId": request_id})
    now = int(time.time())
    update = {"requestId": request_id, "reference": reference, "status": "DONE", "message": "ok"}
    delivery = {"entity": "COST_CENTER", "data": [{"code": "CC-1"}]}
    cases = {
        "get_attachments": body,
        "reprocess": body,
        "poll_pending": json_bytes({"targets": ["SUPPLIER:NONE"], "maxPages": 1}),
        "update_status": push_envelope(json_bytes(update)),
        "register_delivery": push_envelope(json_bytes(delivery)),
    }
    for label, payload in cases.items():
        _known_good(stack.fn(label), build_request("POST", payload, headers=[JSON_HEADER]))
    webhook_id = "known-good-" + uuid.uuid4().hex
    signature = sign(WEBHOOK_SECRET, webhook_id, now, body)
    headers = [
        JSON_HEADER,
        ("webhook-id", webhook_id),
        ("webhook-timestamp", str(now)),
        ("webhook-signature", signature),
    ]
    _known_good(stack.fn("reprocess-webhook"), build_request("POST", body, headers=headers))


JSON_HEADER = ("Content-Type", "application/json")


def push_envelope(data: bytes) -> bytes:
    message = {"data": base64.b64encode(data).decode(), "messageId": uuid.uuid4().hex}
    return json_bytes({"message": message, "subscription": "projects/p/subscriptions/known"})


def _known_good(fn: FunctionUnderTest, request: RawRequest) -> None:
    fn.assert_up()
    reply = fn.send(request)
    check_reply(fn, request, reply, expect=[200])
    check_log(fn, request)
    if fn.label in ("update_status", "register_delivery") and reply.json()["status"] != "ok":
        raise AssertionError(f"{fn.label}: known-good message not handled: {reply!r}")
    fn.assert_up()
