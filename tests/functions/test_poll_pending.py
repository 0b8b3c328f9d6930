"""poll_pending through functions-framework, against the sandbox and the Pub/Sub emulator."""

from __future__ import annotations

import json
import threading
import time

import pytest

pytestmark = pytest.mark.integration


def test_drains_every_page_and_publishes_each_entity_as_roit_sent_it(
    sandbox, poller, pubsub
) -> None:
    ids = set(sandbox.control.reset(documents=120))
    response = poller().post("/", json={})
    assert response.status_code == 200, response.get_json()
    summary = response.get_json()
    assert summary["totals"] == {
        "fetched": 120, "published": 120, "handedBack": 0, "deadLettered": 0, "failed": 0,
        "duplicates": 0,
    }  # fmt: skip
    assert summary["targets"][0]["pages"] == 3  # page size 50

    messages = pubsub.pull(poller.sub, expect=120)
    assert {m.attributes["requestId"] for m in messages} == ids
    sample = messages[0]
    request_id = sample.attributes["requestId"]
    record = sandbox.control.request(request_id)["record"]
    sent = json.loads(sample.data)
    assert sent["requestId"] == request_id
    assert sent["document"] == record["document"]  # payload forwarded whole
    assert set(sample.attributes) == {
        "entity", "type", "requestId", "reference", "integrationId", "correlationId",
    }  # fmt: skip
    assert sample.attributes["correlationId"] == summary["correlationId"]
    states = sandbox.control.stats()["requestsByStatus"]
    assert states["PROCESSING"] == 120 and states["PENDING"] == 0


def test_targets_from_settings_and_body(sandbox, poller, pubsub) -> None:
    sandbox.control.reset()
    sandbox.control.seed(documents=30, types=["NFE", "NFSE", "CTE"])
    nfse = len(sandbox.control.requests(entity="DOCUMENT", type="NFSE"))
    app = poller(ROIT_POLL_TARGETS="DOCUMENT:NFE")
    body = app.post("/", json={"targets": ["DOCUMENT:NFSE"]}).get_json()
    assert body["targets"] == [
        {**body["targets"][0], "entity": "DOCUMENT", "type": "NFSE", "fetched": nfse}
    ]
    body = app.post("/").get_json()  # empty body, as Cloud Scheduler may send
    assert body["targets"][0]["type"] == "NFE"
    assert len(pubsub.pull(poller.sub)) == body["totals"]["published"] + nfse


def test_roit_failure_is_reported_not_hidden(sandbox, poller) -> None:
    sandbox.control.reset(documents=5)
    sandbox.control.set_fault("pending", error_rate=1.0, error_status=503)
    response = poller().post("/", json={})
    assert response.status_code == 502
    target = response.get_json()["targets"][0]
    assert target["stopped"] == "roit_error" and target["fetched"] == 0
    assert sandbox.control.stats()["requestsByStatus"]["PENDING"] == 5


def test_time_budget_stops_asking_for_pages(sandbox, poller, pubsub) -> None:
    sandbox.control.reset(documents=200)
    sandbox.control.configure(page_size=10)
    sandbox.control.set_fault("pending", latency_ms=150)
    try:
        body = poller(ROIT_POLL_TIME_BUDGET_S="1").post("/", json={}).get_json()
    finally:
        sandbox.control.configure(page_size=50)
    target = body["targets"][0]
    assert target["stopped"] == "time_budget"
    assert 0 < target["fetched"] < 200 and target["published"] == target["fetched"]
    assert sandbox.control.stats()["requestsByStatus"]["PROCESSING"] == target["fetched"]


def test_publish_failure_midway_hands_back_and_loses_nothing(sandbox, poller, pubsub) -> None:
    sandbox.control.reset(documents=150)
    sandbox.control.set_fault("pending", latency_ms=1000)
    seen: list = []

    def delete_topic_after_first_page() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(seen) < 50:
            seen.extend(pubsub.pull(poller.sub, expect=50, timeout_s=1))
        pubsub.delete_topic(poller.topic)

    saboteur = threading.Thread(target=delete_topic_after_first_page)
    saboteur.start()
    response = poller().post("/", json={})
    saboteur.join()
    assert response.status_code == 503
    target = response.get_json()["targets"][0]
    assert target["stopped"] == "publish_failed"
    # The page that failed, and the one already asked for while it was published (pipelined),
    # are both handed back whole.
    assert target["published"] == 50 and target["handedBack"] == 100 and target["failed"] == 0
    handed_back = set(target["handedBackRequestIds"])
    assert len(handed_back) == 100

    published = {m.attributes["requestId"] for m in seen}
    processing = {r["requestId"] for r in sandbox.control.requests(status="PROCESSING")}
    assert processing == published  # nothing PROCESSING without a published message
    pending = {r["requestId"] for r in sandbox.control.requests(status="PENDING")}
    assert handed_back <= pending and len(pending) == 100


@pytest.mark.parametrize(
    ("kwargs", "status", "field"),
    [
        ({"data": "{not json", "content_type": "application/json"}, 400, None),
        ({"json": {"targets": ["NOPE"]}}, 400, "targets"),
        ({"json": {"targets": [f"DOCUMENT:T{i}" for i in range(65)]}}, 400, "targets"),
        ({"json": {"targets": ",".join(["DOCUMENT"] * 65)}}, 400, "targets"),
        ({"json": {"targets": "DOCUMENT", "maxPages": "many"}}, 400, "maxPages"),
        ({"json": {"extra": "SECRET-MARKER-7f3a"}}, 400, "<field>"),
        ({"json": ["DOCUMENT"]}, 400, None),
        ({"data": "targets=DOCUMENT", "content_type": "text/plain"}, 415, None),
        ({"data": "x" * 70_000, "content_type": "application/json"}, 413, None),
    ],
)
def test_bad_input_is_a_clean_4xx(sandbox, poller, clean_error, kwargs, status, field) -> None:
    body = clean_error(poller().post("/", **kwargs), status)
    assert body["error"].get("field") == field
    assert sandbox.control.stats()["calls"].get("pending") is None  # nothing was fetched


def test_get_is_refused(poller, clean_error) -> None:
    clean_error(poller().get("/"), 405)


def test_page_lost_after_roit_committed_is_reported_not_retried(sandbox, poller, pubsub) -> None:
    sandbox.control.reset(documents=80)
    sandbox.control.set_fault("pending", drop_after_commit_next=1)
    response = poller().post("/", json={})
    assert response.status_code == 502
    target = response.get_json()["targets"][0]
    assert target["stopped"] == "page_may_be_lost" and target["fetched"] == 0
    assert sum(sandbox.control.stats()["calls"]["pending"].values()) <= 1  # never asked again
    assert pubsub.pull(poller.sub) == []


def test_publishing_to_a_missing_topic_hands_back_the_page(sandbox, poller, pubsub) -> None:
    sandbox.control.reset(documents=7)
    response = poller(ROIT_PENDING_TOPIC="projects/roit-local/topics/never-created").post(
        "/", json={}
    )
    assert response.status_code == 503
    target = response.get_json()["targets"][0]
    assert (target["fetched"], target["published"], target["handedBack"]) == (7, 0, 7)
    assert sandbox.control.stats()["requestsByStatus"]["PENDING"] == 7
