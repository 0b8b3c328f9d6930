"""``roitctl dead-letters list | replay`` on the emulator, with update_status and
register_delivery running under functions-framework against the sandbox: dead letters of
each function, replayed once the fault is gone, reach ROIT as a first delivery would."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from roitctl_helpers import SECRET_MARKER, Deployment, run_cli

from shared.core.pubsub import Publisher
from shared.poll.sink import Sink
from shared.poll.triage import dead_letter_attributes, dead_letter_data, triage

pytestmark = pytest.mark.integration

STATUS_DL = "roit-status-dead-letter-sub"
DELIVERIES_DL = "roit-deliveries-dead-letter-sub"
PENDING_DL = "roit-pending-dead-letter-sub"


def cli(deployment: Deployment, monkeypatch, *args: str):
    for name, value in deployment.env().items():
        monkeypatch.setenv(name, value)
    return run_cli(*args)


def listed(deployment: Deployment, monkeypatch, subscription: str, *extra: str) -> dict:
    result = cli(deployment, monkeypatch, "dead-letters", "list", subscription, "--json", *extra)
    assert result.code == 0, result.err
    (summary,) = result.json()["subscriptions"]
    return summary


def wait_listed(deployment, monkeypatch, subscription: str, count: int, timeout_s=60) -> dict:
    """The subscription's summary once it holds ``count`` dead letters."""
    deadline = time.monotonic() + timeout_s
    while True:
        summary = listed(deployment, monkeypatch, subscription, "--show")
        if summary["count"] >= count or time.monotonic() > deadline:
            assert summary["count"] == count, summary
            return summary
        time.sleep(0.3)


def replay(deployment: Deployment, monkeypatch, subscription: str, *args: str):
    return cli(deployment, monkeypatch, "dead-letters", "replay", subscription, "--json", *args)


def wait_for(condition, timeout_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def status_update(record: dict, status: str = "DONE") -> dict[str, Any]:
    return {
        "requestId": record["requestId"],
        "reference": record["reference"],
        "status": status,
        "message": "Integrated",
        "entryReference": "ERP-000042",
        "systemInfo": {"system": "test-erp"},
    }


def test_listing_counts_and_never_consumes_and_bodies_only_with_show(
    deployment, monkeypatch
) -> None:
    body = {"requestId": "r-1", "secretish": SECRET_MARKER}
    for code in ("roit_rejected_422", "roit_rejected_422", "invalid_message"):
        deployment.publish("roit-status-dead-letter", body, error=code, reason=f"why {code}")
    try:
        result = cli(deployment, monkeypatch, "dead-letters", "list")
        assert result.code == 0
        assert STATUS_DL in result.out and "roit_rejected_422: 2" in result.out
        assert SECRET_MARKER not in result.out
        summary = listed(deployment, monkeypatch, STATUS_DL)
        assert summary["count"] == 3
        assert summary["byError"] == {"roit_rejected_422": 2, "invalid_message": 1}
        assert summary["reasons"] == ["why roit_rejected_422", "why invalid_message"]
        assert "messages" not in summary and SECRET_MARKER not in json.dumps(summary)
        shown = listed(deployment, monkeypatch, STATUS_DL, "--show")
        assert shown["count"] == 3  # listing twice consumed nothing
        assert [m["data"] for m in shown["messages"]] == [body] * 3
        before = cli(deployment, monkeypatch, "--json", "dead-letters", "list", STATUS_DL)
        assert before.code == 0 and before.json()["subscriptions"][0]["count"] == 3
    finally:
        assert len(deployment.drain(STATUS_DL)) == 3


def test_a_status_update_dead_lettered_by_update_status_reaches_roit_once_replayed(
    deployment, sandbox, monkeypatch
) -> None:
    sandbox.control.reset(documents=2)
    first, second = sandbox.control.requests(status="PENDING")
    sandbox.control.set_fault("status", fail_next=1, error_status=422)
    deployment.publish("roit-status", status_update(first), correlationId="c-1")
    summary = wait_listed(deployment, monkeypatch, STATUS_DL, 1)
    assert summary["byError"] == {"roit_rejected_422": 1}
    (dead,) = summary["messages"]
    assert dead["attributes"]["sourceSubscription"].endswith("/roit-status-push")

    deployment.publish(
        "roit-status", status_update(second), correlationId="c-2"
    )  # a first delivery
    wait_for(lambda: sandbox.control.request(second["requestId"])["status"] == "DONE")
    assert sandbox.control.request(first["requestId"])["status"] == "PENDING"

    held = replay(deployment, monkeypatch, STATUS_DL)  # ROIT's verdict: not by default
    assert held.code == 1 and held.json()["replayed"] == 0
    (left,) = held.json()["left"]
    assert left["error"] == "roit_rejected_422"
    assert left["why"] == (
        "ROIT refused it (422): it refuses it again as it is; "
        "once its cause is fixed, replay it with --error roit_rejected_422"
    )
    assert listed(deployment, monkeypatch, STATUS_DL)["count"] == 1  # left in place

    result = replay(deployment, monkeypatch, STATUS_DL, "--error", "roit_rejected_422")
    assert result.code == 0, result.out
    report = result.json()
    assert report["replayed"] == 1 and report["left"] == []
    assert report["replays"][0]["topic"] == "roit-status"
    wait_for(lambda: sandbox.control.request(first["requestId"])["status"] == "DONE")
    replayed = sandbox.control.request(first["requestId"])
    control = sandbox.control.request(second["requestId"])
    for key in ("status", "message", "entryReference"):
        assert replayed[key] == control[key]
    assert listed(deployment, monkeypatch, STATUS_DL)["count"] == 0  # acknowledged


def test_pubsubs_own_dead_letters_go_back_with_the_original_attributes(
    deployment, sandbox, monkeypatch
) -> None:
    sandbox.control.reset(documents=1)
    (record,) = sandbox.control.requests(status="PENDING")
    observer = deployment.subscription("observe-status")
    deployment.subscriber.create_subscription(
        request={"name": observer, "topic": deployment.topic("roit-status")}
    )
    try:
        sandbox.control.set_fault("status", error_rate=1.0, error_status=503)
        deployment.publish("roit-status", status_update(record), correlationId="c-9", custom="x")
        summary = wait_listed(deployment, monkeypatch, STATUS_DL, 1, timeout_s=90)
        assert summary["byError"] == {"max_delivery_attempts": 1}
        attributes = summary["messages"][0]["attributes"]
        assert attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
        sandbox.control.clear_faults()

        result = replay(deployment, monkeypatch, STATUS_DL)
        assert result.json()["replayed"] == 1
        wait_for(lambda: sandbox.control.request(record["requestId"])["status"] == "DONE")
        original, again = pull_all(deployment, observer, 2)
    finally:
        deployment.subscriber.delete_subscription(request={"subscription": observer})
    assert again.data == original.data
    assert dict(again.attributes) == {**dict(original.attributes), "replayCount": "1"}


def pull_all(deployment: Deployment, path: str, expect: int) -> list[Any]:
    from roitctl_helpers import pull

    return pull(deployment.subscriber, path, expect, 30)


def test_a_delivery_rejected_once_is_registered_once_replayed(
    deployment, sandbox, monkeypatch
) -> None:
    sandbox.control.reset()
    sandbox.control.set_fault("delivery", fail_next=1, error_status=422)
    items = [{"code": "CC1"}, {"code": "CC2"}, {"code": "CC3"}]
    deployment.publish("roit-deliveries", {"entity": "COST_CENTER", "data": items})
    summary = wait_listed(deployment, monkeypatch, DELIVERIES_DL, 1)
    assert summary["byError"] == {"roit_rejected_422": 1}
    assert sandbox.control.deliveries() == []

    result = replay(deployment, monkeypatch, DELIVERIES_DL, "--error", "roit_rejected_422")
    assert result.code == 0 and result.json()["replayed"] == 1
    wait_for(lambda: len(sandbox.control.deliveries()) == 2, what="two batches (batch size 2)")
    assert [i for d in sandbox.control.deliveries() for i in d["data"]] == items


def test_the_rest_of_a_partial_delivery_is_replayed_as_it_is(
    deployment, sandbox, monkeypatch
) -> None:
    from sandbox.seed.fiscal import cnpj_check_digits

    def supplier(i: int, valid: bool = True) -> dict:
        base = f"{11222333 + i:08d}0001"
        cnpj = base + (cnpj_check_digits(base) if valid else "00")
        return {"code": f"S{i}", "name": f"Supplier {i}", "nationalRegister": cnpj}

    sandbox.control.reset()
    items = [supplier(0), supplier(1), supplier(2, valid=False), supplier(3)]
    deployment.publish("roit-deliveries", {"entity": "SUPPLIER", "data": items})
    (dead,) = wait_listed(deployment, monkeypatch, DELIVERIES_DL, 1)["messages"]
    assert dead["attributes"]["itemsDelivered"] == "2"
    assert dead["data"]["data"] == items[2:]

    on_purpose = ("--error", dead["attributes"]["error"])  # ROIT's verdict on the third item
    report = replay(deployment, monkeypatch, DELIVERIES_DL, *on_purpose).json()
    assert report["replayed"] == 1, report
    (again,) = wait_listed(deployment, monkeypatch, DELIVERIES_DL, 1)["messages"]  # still invalid
    assert again["data"] == dead["data"]  # the rest, as it was: nothing delivered twice
    assert again["attributes"]["replayCount"] == "1"
    assert "itemsDelivered" not in again["attributes"]
    assert [i for d in sandbox.control.deliveries() for i in d["data"]] == items[:2]
    deployment.drain(DELIVERIES_DL)


def test_a_message_that_keeps_failing_is_replayed_at_most_max_replays_times(
    deployment, monkeypatch
) -> None:
    deployment.publish("roit-deliveries", {"entity": "NOT_AN_ENTITY", "data": [{"code": "X"}]})
    wait_listed(deployment, monkeypatch, DELIVERIES_DL, 1)
    on_purpose = ("--error", "invalid_message")
    for count in (1, 2):
        done = replay(deployment, monkeypatch, DELIVERIES_DL, "--max-replays", "2", *on_purpose)
        assert done.code == 0
        (dead,) = wait_listed(deployment, monkeypatch, DELIVERIES_DL, 1)["messages"]
        assert dead["attributes"]["replayCount"] == str(count)
    result = replay(deployment, monkeypatch, DELIVERIES_DL, "--max-replays", "2", *on_purpose)
    assert result.code == 1
    (left,) = result.json()["left"]
    assert left["why"] == "replayed 2 times already (--max-replays)"
    assert listed(deployment, monkeypatch, DELIVERIES_DL)["count"] == 1  # left in place
    human = cli(deployment, monkeypatch, "dead-letters", "replay", DELIVERIES_DL, *on_purpose)
    assert human.code == 0  # the default allows a third
    deployment.pull(DELIVERIES_DL, expect=1)


def test_the_pollers_dead_letters_go_to_pending_only_when_asked(deployment, monkeypatch) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", deployment.host)
    unreadable = {"entity": "DOCUMENT", "reference": "REF-1", "note": "no requestId"}
    sent = json.dumps(unreadable).encode()  # the item's own bytes, as the poller keeps them
    page = triage([(unreadable, sent)], integration_id="i-1", correlation_id="c-1")
    letters = [(d.data, d.attributes) for d in page.dead]
    letters.append(
        (
            dead_letter_data({"unexpected": "shape"}),
            dead_letter_attributes(
                "unreadable_page", "no list", integration_id="i-1", correlation_id="c-1"
            ),
        )
    )
    outcomes = Sink(Publisher(deployment.project), "roit-pending-dead-letter").send(letters)
    assert all(isinstance(o, str) for o in outcomes)

    result = replay(deployment, monkeypatch, PENDING_DL)
    assert result.code == 1
    why = {entry["error"]: entry["why"] for entry in result.json()["left"]}
    assert (
        why["unreadable_entity"]
        == "bound for the pending topic roit-pending: only with --to-pending"
    )
    assert why["unreadable_page"].startswith("a whole pending page, not one entity")
    assert deployment.drain("roit-pending-erp") == []

    result = replay(deployment, monkeypatch, PENDING_DL, "--to-pending")
    assert result.code == 1  # the page stays
    assert result.json()["replayed"] == 1
    (entity,) = deployment.pull("roit-pending-erp", expect=1)
    assert entity.data == sent  # byte for byte
    assert dict(entity.attributes) == {
        "integrationId": "i-1",
        "correlationId": "c-1",
        "replayCount": "1",
    }
    assert listed(deployment, monkeypatch, PENDING_DL)["byError"] == {"unreadable_page": 1}
    deployment.drain(PENDING_DL)
