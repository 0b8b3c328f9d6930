"""Poller edge cases a real ROIT sandbox cannot produce on demand (a malformed item, an
unknown page shape, an oversized entity): ROIT is an httpx MockTransport here, Pub/Sub is
the real emulator, and the assertion is always where each entity ended up."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from shared.core.pubsub import MAX_MESSAGE_BYTES, Publisher
from shared.core.settings import RoitSettings
from shared.poll.loop import Poller
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity

pytestmark = pytest.mark.integration


def _item(request_id: str, **extra: object) -> dict:
    return {
        "requestId": request_id,
        "reference": f"ref-{request_id}",
        "entity": "DOCUMENT",
        **extra,
    }


class FakeRoit:
    """Serves the given pending answers in turn, then empty pages; records reprocess calls."""

    def __init__(self, answers: list[object]) -> None:
        self.answers = list(answers)
        self.reprocessed: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": "opaque-token"}, "status": "ok"})
        if path.endswith("/pending"):
            body = self.answers.pop(0) if self.answers else {"status": "success", "data": []}
            return httpx.Response(200, content=json.dumps(body).encode())  # \ud800 stays escaped
        if path.endswith("/reprocess"):
            self.reprocessed.append(json.loads(request.content)["requestId"])
            return httpx.Response(200, json={"status": "success", "data": {"status": "PENDING"}})
        return httpx.Response(404, json={"message": "no"})


@pytest.fixture
def run(pubsub_emulator, monkeypatch):
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host)
    from google.cloud import pubsub_v1

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    project = pubsub_emulator.project

    def topic() -> tuple[str, str]:
        name = f"edge-{uuid.uuid4().hex[:8]}"
        publisher.create_topic(request={"name": f"projects/{project}/topics/{name}"})
        sub = f"projects/{project}/subscriptions/{name}-sub"
        subscriber.create_subscription(
            request={"name": sub, "topic": f"projects/{project}/topics/{name}"}
        )
        return name, sub

    def pull(sub: str) -> list:
        response = subscriber.pull(
            request={"subscription": sub, "max_messages": 100, "return_immediately": True},
            timeout=10,
        )
        return [m.message for m in response.received_messages]

    def drain(fake: FakeRoit, *, dead_letter_exists: bool = True):
        settings = RoitSettings.model_validate(
            {"base_url": "http://roit.test", "integration_id": "int-1", "client_id": "a",
             "client_secret": "b", "retry_max_attempts": 1}
        )  # fmt: skip
        client = RoitClient(settings, transport=httpx.MockTransport(fake))
        (pending_topic, pending_sub), (dead_topic, dead_sub) = topic(), topic()
        if not dead_letter_exists:
            publisher.delete_topic(request={"topic": f"projects/{project}/topics/{dead_topic}"})
        poller = Poller(
            client=client, publisher=Publisher(project), topic=pending_topic,
            dead_letter_topic=dead_topic, correlation_id="c-1",
        )  # fmt: skip
        summary = poller.drain(
            [(PendingEntity.DOCUMENT, None)],  # FakeRoit serves one queue
            time_budget_s=30,
            max_pages=10,
        )
        dead = pull(dead_sub) if dead_letter_exists else []
        return summary.to_json()["targets"][0], pull(pending_sub), dead

    return drain


def test_one_unreadable_item_does_not_cost_the_page(run) -> None:
    page = {"status": "success", "data": [_item("a"), {"entity": "DOCUMENT"}, _item("b")]}
    target, published, dead = run(FakeRoit([page]))
    assert sorted(m.attributes["requestId"] for m in published) == ["a", "b"]
    (letter,) = dead
    assert letter.attributes["error"] == "unreadable_entity"
    assert json.loads(letter.data) == {"entity": "DOCUMENT"}
    assert (target["published"], target["deadLettered"], target["failed"]) == (2, 1, 0)


def test_unknown_page_shape_is_kept_whole_in_the_dead_letter_topic(run) -> None:
    answer = {"status": "success", "data": {"docs": [_item("a")]}}
    target, published, dead = run(FakeRoit([answer]))
    assert published == []
    (letter,) = dead
    assert letter.attributes["error"] == "unreadable_page"
    assert json.loads(letter.data) == answer
    assert target["stopped"] == "page_unreadable"


def test_odd_text_and_long_attributes_are_published_as_sent(run) -> None:
    odd = _item("a", note="\ud800 lone surrogate", reference="r" * 5000)
    target, published, dead = run(FakeRoit([{"status": "success", "data": [odd]}]))
    (message,) = published
    assert json.loads(message.data) == odd  # the same JSON value ROIT sent
    assert len(message.attributes["reference"].encode()) <= 1024
    assert dead == [] and target["published"] == 1


def test_entity_too_large_for_pubsub_is_dead_lettered_not_handed_back_forever(run) -> None:
    huge = _item("big", document={"xml": "x" * (MAX_MESSAGE_BYTES + 10)})
    fake = FakeRoit([{"status": "success", "data": [huge, _item("small")]}])
    target, published, dead = run(fake)
    assert [m.attributes["requestId"] for m in published] == ["small"]
    (letter,) = dead
    assert letter.attributes["error"] == "unpublishable_entity"
    assert json.loads(letter.data) == {"requestId": "big", "truncated": True}
    assert fake.reprocessed == []  # handing it back would only bring it back, every run
    assert target["deadLetteredRequestIds"] == ["big"]


def test_odd_characters_in_routing_fields_cost_nothing(run) -> None:
    odd = _item("a", reference="ref\ud800x", type="NF\ud800E")
    target, published, dead = run(FakeRoit([{"status": "success", "data": [odd, _item("b")]}]))
    assert sorted(m.attributes["requestId"] for m in published) == ["a", "b"]
    by_id = {m.attributes["requestId"]: m for m in published}
    assert by_id["a"].attributes["reference"] == "ref?x"  # valid UTF-8 for Pub/Sub
    assert json.loads(by_id["a"].data) == odd  # the data is untouched
    assert dead == [] and target["published"] == 2


def test_a_page_mixing_unreadable_and_unpublishable_entities(run) -> None:
    huge = _item("big", document={"xml": "x" * (MAX_MESSAGE_BYTES + 10)})
    page = [{"entity": "DOCUMENT"}, huge, _item("ok"), {"requestId": {"nested": 1}}]
    target, published, dead = run(FakeRoit([{"status": "success", "data": page}]))
    assert [m.attributes["requestId"] for m in published] == ["ok"]
    errors = sorted(m.attributes["error"] for m in dead)
    assert errors == ["unpublishable_entity", "unreadable_entity", "unreadable_entity"]
    assert target["deadLetteredRequestIds"] == ["big"]
    assert (target["fetched"], target["published"], target["deadLettered"]) == (4, 1, 3)


def test_a_broken_dead_letter_topic_stops_the_run_and_names_what_it_could(run) -> None:
    page = {"status": "success", "data": [{"requestId": {"odd": 1}}, _item("ok")]}
    fake = FakeRoit([page, {"status": "success", "data": [_item("next")]}, page])
    target, published, _ = run(fake, dead_letter_exists=False)
    assert [m.attributes["requestId"] for m in published] == ["ok"]
    assert target["stopped"] == "publish_failed" and target["failed"] == 1
    assert target["failedRequestIds"] == []  # {"odd": 1} names nothing at ROIT
    # The next page was already asked for while this one was published: handed back whole.
    assert fake.reprocessed == ["next"] and target["handedBackRequestIds"] == ["next"]
    assert len(fake.answers) == 1  # and no page after it


def test_an_entity_returned_for_two_targets_is_published_once(pubsub_emulator, monkeypatch):
    """Targets drain concurrently: ROIT returning the same entity to both (e.g. DOCUMENT and
    DOCUMENT:NFE) must not publish it twice."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_emulator.host)
    from google.cloud import pubsub_v1

    project = pubsub_emulator.project
    names = [f"twice-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    for name in names:
        publisher.create_topic(request={"name": f"projects/{project}/topics/{name}"})
    sub = f"projects/{project}/subscriptions/{names[0]}-sub"
    subscriber.create_subscription(
        request={"name": sub, "topic": f"projects/{project}/topics/{names[0]}"}
    )
    served: dict[str, int] = {}

    def roit(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": "opaque-token"}})
        kind = json.loads(request.content).get("type", "all")
        served[kind] = served.get(kind, 0) + 1
        page = [_item("a"), _item("b")] if served[kind] == 1 else []
        return httpx.Response(200, json={"status": "success", "data": page})

    settings = RoitSettings.model_validate(
        {"base_url": "http://roit.test", "integration_id": "int-1", "client_id": "a",
         "client_secret": "b"}
    )  # fmt: skip
    poller = Poller(
        client=RoitClient(settings, transport=httpx.MockTransport(roit)),
        publisher=Publisher(project), topic=names[0], dead_letter_topic=names[1],
        correlation_id="c-2",
    )  # fmt: skip
    summary = poller.drain(
        [(PendingEntity.DOCUMENT, None), (PendingEntity.DOCUMENT, "NFE")],
        time_budget_s=30,
        max_pages=10,
    ).to_json()
    assert summary["totals"]["published"] == 2 and summary["totals"]["duplicates"] == 2
    response = subscriber.pull(
        request={"subscription": sub, "max_messages": 10, "return_immediately": True}, timeout=10
    )
    assert sorted(m.message.attributes["requestId"] for m in response.received_messages) == [
        "a",
        "b",
    ]
