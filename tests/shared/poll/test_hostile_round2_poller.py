"""A ROIT that repeats itself, and a Pub/Sub that hangs late (issue 22 §5). ROIT is an httpx
MockTransport (the sandbox never repeats a page); Pub/Sub is the real emulator, or a loopback
socket that never answers."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shared.core import deadline
from shared.core.pubsub import Publisher
from shared.core.settings import RoitSettings
from shared.poll.handback import hand_back_reserve_s
from shared.poll.loop import Poller
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity

pytestmark = pytest.mark.integration


def _item(request_id: str) -> dict[str, Any]:
    return {"requestId": request_id, "reference": f"ref-{request_id}", "entity": "DOCUMENT"}


class Roit:
    """Pending answers from ``pages`` (a function of the call's number); records every call."""

    def __init__(self, pages: Any) -> None:
        self.pages = pages
        self.pending_calls = 0
        self.reprocessed: list[str] = []
        self.reprocess_left_s: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": "opaque-token"}, "status": "ok"})
        if path.endswith("/pending"):
            self.pending_calls += 1
            data = [_item(i) for i in self.pages(self.pending_calls)]
            return httpx.Response(200, json={"status": "success", "data": data})
        self.reprocessed.append(json.loads(request.content)["requestId"])
        self.reprocess_left_s.append(deadline.remaining())
        return httpx.Response(200, json={"status": "success", "data": {"status": "PENDING"}})


def _client(roit: Roit, **settings: Any) -> RoitClient:
    values = {"base_url": "http://roit.test", "integration_id": "int-1", "client_id": "a",
              "client_secret": "b", "retry_max_attempts": 1, **settings}  # fmt: skip
    return RoitClient(RoitSettings.model_validate(values), transport=httpx.MockTransport(roit))


@pytest.fixture
def topics(pubsub_emulator, monkeypatch) -> Iterator[tuple[str, str, Any]]:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host)
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    project = pubsub_emulator.project
    names = []
    for kind in ("pending", "dead"):
        name = f"repeat-{kind}-{uuid.uuid4().hex[:8]}"
        publisher.create_topic(request={"name": f"projects/{project}/topics/{name}"})
        names.append(name)
    sub = f"projects/{project}/subscriptions/{names[0]}-sub"
    subscriber.create_subscription(
        request={"name": sub, "topic": f"projects/{project}/topics/{names[0]}"}
    )

    def pull() -> list[str]:
        response = subscriber.pull(
            request={"subscription": sub, "max_messages": 1000, "return_immediately": True},
            timeout=10,
        )
        return [m.message.attributes["requestId"] for m in response.received_messages]

    yield names[0], names[1], pull


def _drain(client: RoitClient, pending: str, dead: str, project: str) -> dict[str, Any]:
    poller = Poller(client=client, publisher=Publisher(project), topic=pending,
                    dead_letter_topic=dead, correlation_id="c-1")  # fmt: skip
    summary = poller.drain([(PendingEntity.DOCUMENT, None)], time_budget_s=60, max_pages=500)
    return summary.to_json()


def test_a_roit_that_hands_out_the_same_page_for_ever_is_handed_back_once_each(
    topics, pubsub_emulator
) -> None:
    pending, dead, pull = topics
    roit = Roit(lambda _call: ["a", "b", "c", "d", "e"])
    summary = _drain(_client(roit), pending, dead, pubsub_emulator.project)
    (target,) = summary["targets"]
    assert target["stopped"] == "nothing_new"
    assert roit.pending_calls <= 3  # the page, its repetition, the page already in flight
    assert sorted(roit.reprocessed) == ["a", "b", "c", "d", "e"]  # once each, not per page
    assert sorted(pull()) == ["a", "b", "c", "d", "e"]  # published once each
    assert summary["outcome"] == "ok"  # every publish succeeded: no publish_failed alert
    assert (target["handedBackRepeats"], target["failed"]) == (5, 0)


def test_entities_repeated_across_pages_are_handed_back_once_and_the_run_is_ok(
    topics, pubsub_emulator
) -> None:
    pending, dead, pull = topics
    pages = {1: ["a", "b"], 2: ["b", "c"], 3: ["c", "b", "d"]}
    roit = Roit(lambda call: pages.get(call, []))
    summary = _drain(_client(roit), pending, dead, pubsub_emulator.project)
    (target,) = summary["targets"]
    assert target["stopped"] == "drained"
    assert sorted(roit.reprocessed) == ["b", "c"]  # b was seen three times, handed back once
    assert sorted(pull()) == ["a", "b", "c", "d"]
    assert summary["outcome"] == "ok"


@pytest.fixture
def hung_pubsub(monkeypatch) -> Iterator[str]:
    """A Pub/Sub endpoint that takes the connection and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)  # connections complete in the kernel's backlog, never accepted
        host = f"127.0.0.1:{listener.getsockname()[1]}"
        monkeypatch.setenv("PUBSUB_EMULATOR_HOST", host)
        yield host


@pytest.mark.timeout(60)
def test_a_pubsub_hanging_late_still_leaves_the_time_to_hand_the_page_back(hung_pubsub) -> None:
    roit = Roit(lambda call: ["a", "b", "c"] if call == 1 else [])
    client = _client(roit, http_connect_timeout_s=1, http_timeout_s=2)
    reserve = hand_back_reserve_s(client)
    assert reserve == 3
    started = time.monotonic()
    with deadline.deadline_scope(reserve + 3):  # less left than Pub/Sub's own 60 s timeout
        summary = _drain(client, "pending", "dead", "p")
    (target,) = summary["targets"]
    print(f"time left for the hand-back: {min(roit.reprocess_left_s):.2f} s "
          f"(reserve {reserve} s), run {time.monotonic() - started:.2f} s")  # fmt: skip
    assert sorted(roit.reprocessed) == ["a", "b", "c"]  # handed back, not left PROCESSING
    assert (target["handedBack"], target["failed"], target["published"]) == (3, 0, 0)
    assert min(roit.reprocess_left_s) > reserve - 0.5  # the reserve was kept for it
