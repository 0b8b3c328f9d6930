"""The soak's reconciliation can fail: a small, consistent set of evidence reconciles, and each
way the connector could lose or duplicate something turns a row into a MISMATCH."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devstack.report import Check, reconciled
from devstack.soak.drivers import Call, PollRun
from devstack.soak.erp import DeadLetter, Receipt
from devstack.soak.observe import LogEvents, RssSample, scan_secrets
from devstack.soak.reconcile.checks import reconcile
from devstack.soak.reconcile.evidence import ErpView, Evidence, held_keys, outstanding
from devstack.soak.workload import DeliveryPlan, bad_status_messages

pytestmark = pytest.mark.unit

SEED, PULL, STATUS, REPROCESS = "seed", "pending", "status", "reprocess"


def _request(rid: str, *moves: tuple[str, str], type_: str = "NFE") -> dict[str, Any]:
    history = [{"status": status, "at": "", "source": source} for status, source in moves]
    return {
        "requestId": rid,
        "entity": "DOCUMENT",
        "type": type_,
        "status": history[-1]["status"],
        "history": history,
    }


def _target(**fields: Any) -> dict[str, Any]:
    return {
        "entity": "DOCUMENT",
        "type": "NFE",
        "stopped": "drained",
        "handedBackRequestIds": [],
        "failedRequestIds": [],
        **fields,
    }


def _evidence() -> Evidence:
    """d1 integrated once; d2 ERROR, reprocessed by a partner, integrated again; d3 in a page
    ROIT dropped after commit (reported); d4 handed back by a poller, integrated; r1 not
    ready. Every status applied, every delivery item at ROIT, the bad messages dead-lettered."""
    requests = [
        _request("d1", ("PENDING", SEED), ("PROCESSING", PULL), ("DONE", STATUS)),
        _request(
            "d2",
            ("PENDING", SEED),
            ("PROCESSING", PULL),
            ("ERROR", STATUS),
            ("PENDING", REPROCESS),
            ("PROCESSING", PULL),
            ("DONE", STATUS),
        ),
        _request("d3", ("PENDING", SEED), ("PROCESSING", PULL)),
        _request(
            "d4",
            ("PENDING", SEED),
            ("PROCESSING", PULL),
            ("PENDING", REPROCESS),
            ("PROCESSING", PULL),
            ("WARNING", STATUS),
        ),
        _request("r1", ("RECEIVED", SEED)),
    ]
    receipts = [
        Receipt("d1", "0:1", "DOCUMENT", "NFE", 1.0),
        Receipt("d2", "0:2", "DOCUMENT", "NFE", 1.0),
        Receipt("d2", "0:5", "DOCUMENT", "NFE", 5.0),
        Receipt("d4", "0:6", "DOCUMENT", "NFE", 6.0),
    ]
    statuses = {"d1": ["DONE"], "d2": ["ERROR", "DONE"], "d4": ["WARNING"]}
    keys = {"d1": ["s1"], "d2": ["s2", "s3"], "d4": ["s4"]}
    bad = bad_status_messages("d1", "ref-d1")
    letters = [
        DeadLetter(
            "roit-status-dead-letter-sub",
            str(n),
            b.message.data,
            {**b.message.attributes, "error": b.error, "reason": "why"},
        )
        for n, b in enumerate(bad)
    ]
    published = {k: ["id"] for ks in keys.values() for k in ks}
    published |= {"delivery-00000": ["id"]} | {b.message.key: ["id"] for b in bad}
    runs = [
        PollRun(
            "poll_pending",
            0.0,
            4.0,
            200,
            {
                "totals": {"published": 2},
                "targets": [_target(stopped="page_may_be_lost", handedBackRequestIds=["d4"])],
            },
        ),
        PollRun("poll_pending-2", 1.0, 3.0, 200, {"totals": {"published": 2}, "targets": []}),
    ]
    return Evidence(
        requests=requests,
        summary={
            "timesReturned": {"d1": 1, "d2": 2, "d3": 1, "d4": 2},
            "droppedAfterCommit": [["d3"]],
        },
        deliveries=[{"data": [{"code": "a"}, {"code": "b"}]}],
        stats={"calls": {"status": {"200": 4, "503": 1}}, "tokenExchanges": 2},
        erp=ErpView(
            receipts,
            Counter({r.message_id: 1 for r in receipts}),
            statuses,
            keys,
            published,
            letters,
            Counter(),
        ),
        plan=DeliveryPlan(messages=[], items={"delivery-00000": ("a", "b")}, bad=[]),
        bad_statuses=bad,
        seeded=4,
        received=1,
        runs=runs,
        calls=[
            Call("webhook", "d2", 2.0, [503, 200], "accepted"),
            Call("attachments", "d1", 2.0, [200], "accepted", files=2, downloaded=2),
        ],
        faults=[],
        lost_pages_armed=1,
        logs=LogEvents(),
        rss=[
            RssSample("update_status", 1.0, 7, 70 * 1024),
            RssSample("update_status", 9.0, 7, 72 * 1024),
        ],
        rss_since={"update_status": 0.0},
        alive={"update_status": True},
        unsigned_webhook=401,
    )


def _mismatches(evidence: Evidence) -> list[str]:
    return [c.id for c in reconcile(evidence) if not c.ok]


def test_consistent_evidence_reconciles() -> None:
    checks = reconcile(_evidence())
    assert reconciled(checks), [c for c in checks if not c.ok]
    ids = [c.id for c in checks]
    assert all(ids) and len(set(ids)) == len(ids), ids  # every row has its own stable id
    assert not sum(outstanding(_evidence()).values())
    assert held_keys(_evidence()) == []


def _break(change: Callable[[Evidence], None]) -> list[str]:
    evidence = _evidence()
    change(evidence)
    return _mismatches(evidence)


def test_a_message_the_poller_says_it_published_but_never_did() -> None:
    def drop(e: Evidence) -> None:
        e.erp.receipts.pop(0)  # d1 never reached the ERP (its status neither)
        e.erp.statuses.pop("d1")
        e.requests[0] = _request("d1", ("PENDING", SEED), ("PROCESSING", PULL))

    assert _break(drop) == [
        "documents.accounted",
        "documents.stuck_processing",
        "pending.received_distinct",
        "pending.never_received",
    ]


def test_a_hand_back_that_never_happened() -> None:
    def skip(e: Evidence) -> None:  # the poller says handed back; ROIT keeps it PROCESSING
        e.requests[3] = _request("d4", ("PENDING", SEED), ("PROCESSING", PULL))
        e.summary["timesReturned"]["d4"] = 1
        e.erp.statuses["d4"] = []

    assert "documents.stuck_processing" in _break(skip)


def test_an_entity_published_twice_for_one_hand_out() -> None:
    def twice(e: Evidence) -> None:
        e.erp.receipts.append(Receipt("d1", "0:9", "DOCUMENT", "NFE", 9.0))
        e.runs[1].summary["totals"]["published"] = 3  # type: ignore[index]

    assert _break(twice) == ["pending.published_beyond_handed_out"]


def test_a_reprocess_nobody_asked_for() -> None:
    def unexplained(e: Evidence) -> None:
        e.calls = [c for c in e.calls if c.kind != "webhook"]

    assert "pending.reprocess_explained" in _break(unexplained)


def test_a_status_acknowledged_but_never_applied() -> None:
    def lost(e: Evidence) -> None:
        history = e.requests[1]["history"]
        e.requests[1]["history"] = [
            *history[:-1],
            {"status": "PROCESSING", "at": "", "source": PULL},
        ]
        e.requests[1]["status"] = "PROCESSING"

    broken = _break(lost)
    assert "status.applied" in broken
    assert "documents.stuck_processing" in broken


def test_a_delivery_item_that_never_reached_roit() -> None:
    def missing(e: Evidence) -> None:
        e.deliveries = [{"data": [{"code": "a"}]}]

    assert _break(missing) == ["deliveries.items_reached_roit"]


def test_a_valid_message_dead_lettered_and_a_dead_letter_without_reason() -> None:
    def valid(e: Evidence) -> None:
        e.erp.dead_letters.append(
            DeadLetter("roit-status-dead-letter-sub", "x", b"{}", {"soakKey": "s1"})
        )

    assert _break(valid) == [
        "dead_letters.with_error_and_reason",
        "dead_letters.explained",
    ]


def test_a_bad_message_dead_lettered_with_the_wrong_error() -> None:
    def wrong(e: Evidence) -> None:
        letter = e.erp.dead_letters[0]
        attributes = {**letter.attributes, "error": "roit_rejected_400"}
        e.erp.dead_letters[0] = DeadLetter(letter.subscription, "0", letter.data, attributes)

    assert _break(wrong) == [
        "dead_letters.explained",
        "dead_letters.bad_messages_dead_lettered",
    ]


def test_a_lost_page_nobody_reported() -> None:
    def silent(e: Evidence) -> None:
        e.runs[0].summary["targets"][0]["stopped"] = "drained"  # type: ignore[index]

    assert _break(silent) == ["pending.pages_lost_reported"]


def test_memory_growth_over_the_limit_and_a_dead_function() -> None:
    def leak(e: Evidence) -> None:
        e.rss.append(RssSample("update_status", 20.0, 7, 200 * 1024))
        e.alive["update_status"] = False

    assert _break(leak) == [
        "processes.rss_growth.update_status",
        "processes.alive",
    ]


def test_a_secret_in_a_log_line_is_found_without_showing_it(tmp_path: Path) -> None:
    log = tmp_path / "update_status.log"
    secret = "soak-abcdefghijklmnop"
    stored = json.dumps({"client_id": "c", "client_secret": secret})
    lines = [
        '{"message": "fine"}',
        f'{{"message": "leaked {secret}"}}',
        '{"message": "Authorization: Bearer abcdefghijkl.mnop"}',
        '{"message": "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig"}',
        '{"message": "[REDACTED] whsec_ is a prefix, no value"}',
    ]
    log.write_text("\n".join(lines) + "\n")
    scan = scan_secrets([log], {"client secret": secret, "payload": stored}, ["all clean"])
    assert scan.lines == 6
    assert dict(scan.hits) == {
        ("update_status.log", "client secret"): 1,
        ("update_status.log", "a Bearer value"): 1,
        ("update_status.log", "a JWT"): 1,
    }
    evidence = _evidence()
    evidence.scan = scan
    broken = _mismatches(evidence)
    assert "processes.secret_in_logs" in broken
    assert all(secret not in c.label + c.id for c in reconcile(evidence))


@pytest.mark.parametrize("at_most", [False, True])
def test_check_rows(at_most: bool) -> None:
    row = Check("s", "label", 3, 2, "src", at_most=at_most)
    assert row.ok is at_most
    assert row.shown_expected == ("<= 3" if at_most else "3")
    assert Check("s", "label", 0, 9, "src", info=True).ok


def test_a_late_status_after_a_hand_back_is_counted_not_blamed() -> None:
    """A redelivered status that reaches ROIT after the entity was handed back moves it out of
    PENDING: it is never offered again, which the table shows rather than calls a loss."""
    evidence = _evidence()
    evidence.requests[3] = _request(
        "d4",
        ("PENDING", SEED),
        ("PROCESSING", PULL),
        ("WARNING", STATUS),
        ("PENDING", REPROCESS),  # a partner's reprocess
        ("PROCESSING", PULL),
        ("PENDING", REPROCESS),  # handed back by the poller run that started at 7.0
        ("WARNING", STATUS),  # the old status, delivered again
    )
    evidence.runs[0] = PollRun("poll_pending", 7.0, 8.0, 200, evidence.runs[0].summary)
    evidence.runs[1] = PollRun("poll_pending-2", 7.5, 8.5, 200, evidence.runs[1].summary)
    evidence.calls.append(Call("team", "d4", 6.5, [200], "accepted"))
    rows = {c.id: c for c in reconcile(evidence)}
    assert reconciled(rows.values()), [c for c in rows.values() if not c.ok]
    assert rows["documents.late_status_while_pending"].observed == 1


def _received_only_before_the_hand_back(e: Evidence) -> None:
    """d4 reached the ERP once, before the run that handed it back began (at 4.0)."""
    e.runs[0] = replace(e.runs[0], started=4.0, ended=8.0)
    e.erp.receipts[:] = [r for r in e.erp.receipts if r.request_id != "d4"]
    e.erp.receipts.append(Receipt("d4", "0:3", "DOCUMENT", "NFE", 3.0))


def test_a_hand_back_then_a_dropped_page_then_a_late_status_is_explained() -> None:
    """Seen in CI: d4 handed back, handed out again in a page ROIT dropped after commit
    (reported page_may_be_lost), then the ERP's redelivered status for its first hand-out
    closed it. The ERP never gets it after the hand-back, and the dropped page says why."""

    def dropped_then_closed(e: Evidence) -> None:
        e.requests[3] = _request(
            "d4",
            ("PENDING", SEED),
            ("PROCESSING", PULL),
            ("PENDING", REPROCESS),
            ("PROCESSING", PULL),
            ("WARNING", STATUS),
        )
        e.summary["droppedAfterCommit"].append(["d4"])
        _received_only_before_the_hand_back(e)
        e.lost_pages_armed = 2

    assert "pending.handed_back_received_after" not in _break(dropped_then_closed)


def test_a_handed_back_entity_the_erp_never_gets_again_is_a_mismatch() -> None:
    def never_again(e: Evidence) -> None:
        _received_only_before_the_hand_back(e)

    assert "pending.handed_back_received_after" in _break(never_again)
