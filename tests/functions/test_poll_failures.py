"""poll_pending when things go wrong: where every entity ends, what the run answers and logs.

Against the real sandbox and emulator through functions-framework; the poller's own pieces
(the sink) are also exercised directly against the emulator.
"""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.integration


def test_a_token_failure_stops_the_run_before_any_page(sandbox, poller, logged) -> None:
    sandbox.control.reset(documents=5)
    sandbox.control.set_fault("token", fail_next=99, error_status=404)
    fn = poller(ROIT_POLL_TARGETS="DOCUMENT,SUPPLIER")
    logged()  # what loading the function logged is not this test's
    response = fn.post("/", json={})
    assert response.status_code == 502
    summary = response.get_json()
    assert summary["outcome"] == "config_error"
    # targets run concurrently: each either met the failure or was skipped after it
    stops = [t["stopped"] for t in summary["targets"]]
    assert stops[0] == "config_error" and set(stops) <= {"config_error", "skipped"}
    assert summary["targets"][0]["error"] == "misconfigured"  # a failure code, not a class
    assert "pending" not in sandbox.control.stats()["calls"]  # no page could have been lost
    lines = logged()
    assert any(
        line.get("event") == "config_error" and "ROIT_TOKEN_URL" in line["setting"]
        for line in lines
    )
    run = [line for line in lines if line.get("event") == "poll_run"]
    assert run and run[0]["outcome"] == "config_error"


def test_a_dripping_pending_answer_is_a_page_that_may_be_lost(sandbox, poller, logged) -> None:
    sandbox.control.reset(documents=5)
    sandbox.control.set_fault("pending", slow_body_next=1, drip_bytes=1, drip_interval_ms=50)
    response = poller(ROIT_RETRY_BUDGET_S="1").post("/", json={})
    assert response.status_code == 502
    (target,) = response.get_json()["targets"]
    assert target["stopped"] == "page_may_be_lost"
    assert sandbox.control.stats()["calls"]["pending"] == {"slow_body": 1}  # asked once
    assert any(line.get("event") == "page_may_be_lost" for line in logged())


def test_hand_back_failures_are_named(sandbox, poller) -> None:
    sandbox.control.reset(documents=4)
    sandbox.control.set_fault("reprocess", error_rate=1.0, error_status=503)
    fn = poller(ROIT_PENDING_TOPIC="projects/roit-local/topics/never-created")
    response = fn.post("/", json={})
    assert response.status_code == 503
    (target,) = response.get_json()["targets"]
    assert (target["published"], target["handedBack"], target["failed"]) == (0, 0, 4)
    processing = {r["requestId"] for r in sandbox.control.requests(status="PROCESSING")}
    assert set(target["failedRequestIds"]) == processing and len(processing) == 4


def test_the_page_cap_stops_the_target(sandbox, poller) -> None:
    sandbox.control.reset(documents=120)
    response = poller(ROIT_POLL_MAX_PAGES="2").post("/", json={})
    (target,) = response.get_json()["targets"]
    assert (target["pages"], target["published"], target["stopped"]) == (2, 100, "max_pages")
    assert sandbox.control.stats()["requestsByStatus"]["PENDING"] == 20


def test_an_unexpected_error_mid_page_names_every_entity(sandbox, poller, monkeypatch, logged):
    import shared.poll.route

    ids = set(sandbox.control.reset(documents=3))

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(shared.poll.route, "triage", broken)  # a bug, on purpose
    response = poller().post("/", json={})
    assert response.status_code == 503
    (target,) = response.get_json()["targets"]
    assert target["stopped"] == "page_failed" and set(target["failedRequestIds"]) == ids
    traces = [line for line in logged() if "stack_trace" in line]
    assert len(traces) == 1 and "ZeroDivisionError" in traces[0]["stack_trace"]


def test_a_second_run_is_refused_while_one_is_in_progress(sandbox, poller) -> None:
    sandbox.control.reset(documents=60)
    sandbox.control.set_fault("pending", latency_ms=700)
    fn = poller()
    first: list = []
    runner = threading.Thread(target=lambda: first.append(fn.post("/", json={})))
    runner.start()
    try:
        from devstack.soak.observe import wait_until

        # the first run holds the poll once ROIT answered its first page (two more to come)
        assert wait_until(lambda: "pending" in sandbox.control.stats()["calls"], 30, 0.02)
        second = fn.post("/", json={})
    finally:
        runner.join(30)
    assert second.status_code == 409
    assert second.get_json()["error"]["code"] == "poll_in_progress"
    assert first[0].status_code == 200
    assert first[0].get_json()["totals"]["published"] == 60


def test_one_refused_message_does_not_take_its_batch_down(pubsub, pubsub_emulator) -> None:
    from shared.core.errors import Failure, PublishError
    from shared.core.pubsub import Publisher
    from shared.poll.sink import Sink

    topic, sub = pubsub.topic("sink")
    messages = [(f"m{i}".encode(), {"i": str(i)}) for i in range(10)]
    messages[6] = (b"m6", {"goog-reserved": "x"})  # Pub/Sub refuses this one message
    outcomes = Sink(Publisher(pubsub_emulator.project), topic).send(messages)
    refused = [i for i, o in enumerate(outcomes) if isinstance(o, PublishError)]
    assert refused == [6] and outcomes[6].failure is Failure.INPUT
    received = pubsub.pull(sub, expect=9)
    assert sorted(m.data for m in received) == sorted(
        d for i, (d, _) in enumerate(messages) if i != 6
    )


def test_a_missing_topic_fails_every_message_and_stops_sending(pubsub, pubsub_emulator) -> None:
    from shared.core.errors import Failure, PublishError
    from shared.core.pubsub import Publisher
    from shared.poll.sink import Sink

    sink = Sink(Publisher(pubsub_emulator.project), "never-created-topic")
    outcomes = sink.send([(b"x" * 10, {}) for _ in range(1500)])  # two requests' worth
    assert all(isinstance(o, PublishError) and o.failure is Failure.PUBSUB for o in outcomes)


def test_the_same_entity_twice_in_a_run_is_published_once() -> None:
    from shared.poll.triage import triage

    def page(*ids: str) -> list[tuple[dict, bytes]]:
        return [({"requestId": i}, b'{"requestId":"%s"}' % i.encode()) for i in ids]

    first = triage(page("a", "b", "a"), integration_id="i", correlation_id="c")
    assert [o.request_id for o in first.publish] == ["a", "b"]
    assert first.duplicates == [("a", None)]  # handed back once the run is over
    second = triage(page("b", "c"), integration_id="i", correlation_id="c", seen={"a", "b"})
    assert [o.request_id for o in second.publish] == ["c"] and second.duplicates == [("b", None)]


def test_an_entity_roit_hands_out_again_mid_run_is_handed_back_not_stranded(
    sandbox, poller, pubsub, base_env
) -> None:
    """Seen in the soak: a caller reprocessed an entity while a run was draining, ROIT handed
    it out again in a later page of the same run, and the run, publishing it once, left that
    hand-out PROCESSING for ever. Now it goes back to ROIT when the run is over."""
    import threading
    import time

    from shared.core.settings import RoitSettings
    from shared.roit.client import RoitClient

    ids = sandbox.control.reset(documents=120)  # pages of 50: the first id is in page 1
    first = ids[0]
    sandbox.control.set_fault("pending", latency_ms=400)
    names = ("base_url", "integration_id", "client_id", "client_secret")
    caller = RoitClient(
        RoitSettings.model_validate({n: base_env[f"ROIT_{n.upper()}"] for n in names})
    )

    def reprocess_once_handed_out() -> None:
        until = time.monotonic() + 30
        while sandbox.control.request(first)["status"] != "PROCESSING":
            assert time.monotonic() < until
            time.sleep(0.02)
        caller.reprocess(first)  # a partner or the team, while the run goes on

    meanwhile = threading.Thread(target=reprocess_once_handed_out)
    meanwhile.start()
    fn = poller()
    summary = fn.post("/", json={}).get_json()
    meanwhile.join(30)
    (target,) = summary["targets"]
    assert target["duplicates"] == 1 and target["handedBackRequestIds"] == [first]
    assert sandbox.control.request(first)["status"] == "PENDING"  # not stranded PROCESSING
    received = [m.attributes["requestId"] for m in pubsub.pull(poller.sub, expect=120)]
    assert sorted(received) == sorted(ids)  # published once in the run
    sandbox.control.clear_faults()
    again = fn.post("/", json={}).get_json()
    assert again["totals"]["published"] == 1  # the next run brings it to the ERP
    assert [m.attributes["requestId"] for m in pubsub.pull(poller.sub, expect=1)] == [first]


def test_a_hand_back_that_fails_for_a_while_is_tried_again(sandbox, poller) -> None:
    sandbox.control.reset(documents=4)
    # every call of the first round fails (3 attempts each); the second round gets through
    sandbox.control.set_fault("reprocess", fail_next=12, error_status=503)
    fn = poller(ROIT_PENDING_TOPIC="projects/roit-local/topics/never-created")
    (target,) = fn.post("/", json={}).get_json()["targets"]
    assert (target["published"], target["handedBack"], target["failed"]) == (0, 4, 0)
    assert sandbox.control.stats()["requestsByStatus"]["PENDING"] == 4
