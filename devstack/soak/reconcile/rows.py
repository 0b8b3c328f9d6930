"""The soak's reconciliation, part 1: every document, every pending message, every status.

Each function returns table rows (:class:`devstack.report.Check`); a row that is not `info`
must hold for the soak to pass. Part 2 (deliveries, dead letters, callers, pollers, faults,
processes) is :mod:`devstack.soak.reconcile.checks`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from devstack.report import Check
from devstack.soak.reconcile.evidence import TERMINAL, Evidence

__all__ = ["document_checks", "pending_checks", "status_checks"]

SANDBOX = "sandbox requests"
SUMMARY = "sandbox summary"


def _section(name: str, rows: list[Check]) -> Callable[..., None]:
    def add(
        row_id: str, label: str, expected: int, observed: int, source: str, **flags: Any
    ) -> None:
        rows.append(Check(name, label, expected, observed, source, id=row_id, **flags))

    return add


def some(ids: Iterable[str], limit: int = 5) -> str:
    """A few of `ids`, for a failed row's detail."""
    items = sorted(ids)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ("e.g. " + ", ".join(items[:limit]) + more) if items else ""


def document_checks(e: Evidence) -> list[Check]:
    """Where every seeded document ended at ROIT."""
    rows: list[Check] = []
    add = _section("1. documents: final state at ROIT", rows)
    ready = e.seeded_ready
    terminal, pending = e.with_status(*TERMINAL), e.with_status("PENDING")
    by = Counter(e.by_id[rid]["status"] for rid in terminal)
    add(
        "documents.seeded_ready",
        "entities seeded ready (documents, POs, suppliers)",
        e.seeded,
        len(ready),
        SANDBOX,
    )
    add(
        "documents.ended",
        f"ended DONE / ERROR / WARNING ({by['DONE']} / {by['ERROR']} / {by['WARNING']})",
        0,
        len(terminal),
        SANDBOX,
        info=True,
    )
    add(
        "documents.pending_again",
        "PENDING again (reprocessed or handed back, not polled since)",
        0,
        len(pending),
        SANDBOX,
        info=True,
    )
    add(
        "documents.in_dropped_page",
        "PROCESSING in a page ROIT dropped after commit",
        0,
        len(e.lost),
        SUMMARY,
        info=True,
    )
    add(
        "documents.accounted",
        "accounted for: ended, PENDING again, or in a dropped page",
        len(ready),
        len(terminal) + len(pending) + len(e.lost),
        SANDBOX,
    )
    stuck = e.with_status("PROCESSING") - e.dropped_ids
    add(
        "documents.stuck_processing",
        "still PROCESSING outside a dropped page",
        0,
        len(stuck),
        SANDBOX,
        detail=some(stuck),
    )
    untouched = {rid for rid in e.not_ready if e.by_id[rid]["status"] == "RECEIVED"}
    untouched = {rid for rid in untouched if e.returns(rid) == 0}
    add(
        "documents.not_ready_untouched",
        "not-ready documents untouched (RECEIVED, never handed out)",
        e.received,
        len(untouched),
        SANDBOX,
    )
    sent = e.erp.statuses
    agree = {rid for rid in terminal if e.by_id[rid]["status"] in sent.get(rid, [])}
    add(
        "documents.final_status_sent_by_erp",
        "final status is one the ERP sent for it",
        len(terminal),
        len(agree),
        "sandbox + ERP",
        detail=some(terminal - agree),
    )
    older = {rid for rid in agree if e.by_id[rid]["status"] != sent[rid][-1]}
    add(
        "documents.older_status_reapplied",
        "... an older one applied again after the newer (Pub/Sub: unordered, at least once)",
        0,
        len(older),
        "sandbox + ERP",
        info=True,
    )
    add(
        "documents.late_status_while_pending",
        "a late status applied while ROIT had it PENDING again (not re-offered since)",
        0,
        len(e.stale_statuses & ready),
        "sandbox history",
        info=True,
    )
    return rows


def pending_checks(e: Evidence) -> list[Check]:
    """Every pending entity ROIT handed out: published once per hand-out, received."""
    rows: list[Check] = []
    add = _section("2. pending: poll_pending -> roit-pending -> ERP", rows)
    add(
        "pending.received_distinct",
        "distinct pending messages the ERP received",
        e.published_by_pollers,
        len(e.erp.receipts),
        "poll summaries / ERP",
    )
    never = {rid for rid in e.seeded_ready - e.lost if not e.publishes[rid]}
    add(
        "pending.never_received",
        "seeded entities the ERP never received (outside a dropped page)",
        0,
        len(never),
        "ERP",
        detail=some(never),
    )
    over = {rid: n - e.returns(rid) for rid, n in e.publishes.items() if n > e.returns(rid)}
    add(
        "pending.published_beyond_handed_out",
        "publishes beyond the times ROIT handed the entity out",
        0,
        sum(over.values()),
        "ERP + timesReturned",
        detail=some(over),
    )
    twice = {rid for rid, n in e.publishes.items() if n > 1}
    by_caller = {rid for rid in twice if e.reprocess_attempts[rid]}
    handed = e.summary_ids("requeuedRequestIds") + e.summary_ids("failedRequestIds")
    add(
        "pending.published_more_than_once",
        "entities published more than once",
        0,
        len(twice),
        "ERP",
        info=True,
    )
    add(
        "pending.reoffered_after_reprocess",
        "... ROIT re-offered them after a reprocess call (partner, team, operator)",
        0,
        len(by_caller),
        "callers",
        info=True,
    )
    add(
        "pending.reoffered_after_hand_back",
        "... ROIT re-offered them after a poller's hand-back",
        0,
        len({rid for rid in twice - by_caller if handed[rid]}),
        "poll summaries",
        info=True,
    )
    moves = {rid: e.reprocess_moves(rid) for rid in e.seeded_ready}
    why = {rid: min(n, e.reprocess_attempts[rid] + handed[rid]) for rid, n in moves.items()}
    add(
        "pending.reprocess_explained",
        "reprocess moves at ROIT explained by a caller or a poller's hand-back",
        sum(moves.values()),
        sum(why.values()),
        "sandbox history",
        detail=some(rid for rid, n in moves.items() if why[rid] < n),
    )
    again = sum(n - 1 for n in e.erp.deliveries.values() if n > 1)
    add(
        "pending.redelivered_same_id",
        "pending messages Pub/Sub delivered again (same message id)",
        0,
        again,
        "ERP",
        info=True,
    )
    add(
        "pending.handed_back",
        "entities handed back to ROIT by a poller (requeued)",
        0,
        sum(e.summary_ids("requeuedRequestIds").values()),
        "poll summaries",
        info=True,
    )
    failed = e.summary_ids("failedRequestIds")
    add(
        "pending.poller_failed",
        "entities a poller could not place or hand back (named failed)",
        0,
        len(failed),
        "poll summaries",
        info=True,
    )
    handed_at: dict[str, float] = {}  # requestId -> when the run that handed it back began
    for run in e.runs:
        for target in (run.summary or {}).get("targets", []):
            for rid in target.get("requeuedRequestIds", []):
                handed_at[rid] = min(handed_at.get(rid, run.started), run.started)
    received_after = {
        rid for r in e.erp.receipts if (rid := r.request_id) in handed_at and r.at > handed_at[rid]
    }
    # Not expected back at the ERP: what a status closed while ROIT had it PENDING again, and
    # what ROIT then handed out in a page it dropped after committing it (reported
    # page_may_be_lost) -- still PROCESSING, or closed by a late status meanwhile.
    back = set(handed_at) - e.dropped_ids - e.stale_statuses
    add(
        "pending.handed_back_received_after",
        "entities a poller handed back, received by the ERP after that",
        len(back),
        len(back & received_after),
        "poll summaries + ERP",
        detail=some(back - received_after),
    )
    add(
        "pending.pages_lost_injected",
        "pending pages lost after commit (injected)",
        e.lost_pages_armed,
        len(e.dropped_pages),
        SUMMARY,
    )
    reported, matched = _lost_page_reports(e)
    add(
        "pending.pages_lost_reported",
        "... each reported page_may_be_lost by a poller for its target",
        len(e.dropped_pages),
        matched,
        "poll summaries + logs",
    )
    add(
        "pending.may_be_lost_reports",
        "page_may_be_lost reports (a dropped connection may not have lost anything)",
        0,
        reported,
        "poll summaries + logs",
        info=True,
    )
    return rows


def _target(entity: object, type_: object) -> str:
    return f"{entity}:{type_}" if type_ and type_ != entity else str(entity)


def _lost_page_reports(e: Evidence) -> tuple[int, int]:
    """(page_may_be_lost reports, dropped pages with a report for their target)."""
    reports: Counter[str] = Counter(
        _target(t.get("entity"), t.get("type"))
        for s in e.summaries
        for t in s.get("targets", [])
        if t.get("stopped") == "page_may_be_lost"
    )
    # the pipelined page handed back whole logs its own report (its target stopped otherwise)
    for line in e.logs.may_be_lost:
        if "handed out and lost" in str(line.get("message", "")):
            reports[_target(line.get("entity"), line.get("type"))] += 1
    dropped: Counter[str] = Counter()
    for page in e.dropped_pages:
        request = e.by_id.get(page[0], {})
        dropped[_target(request.get("entity"), request.get("type"))] += 1
    matched = sum(min(n, reports[target]) for target, n in dropped.items())
    return sum(reports.values()), matched


def status_checks(e: Evidence) -> list[Check]:
    """Every status the ERP sent reached ROIT at least once."""
    rows: list[Check] = []
    add = _section("3. status: ERP -> roit-status -> update_status -> ROIT", rows)
    sent = {rid: s for rid, s in e.erp.statuses.items() if rid in e.by_id}
    total = sum(len(s) for s in sent.values())
    first = Counter(s[0] for s in sent.values() if s)
    add(
        "status.sent",
        f"status messages the ERP sent (first verdicts DONE {first['DONE']} / ERROR "
        f"{first['ERROR']} / WARNING {first['WARNING']})",
        0,
        total,
        "ERP",
        info=True,
    )
    found = {rid: (Counter(s) & Counter(e.roit_statuses(rid))).total() for rid, s in sent.items()}
    applied = sum(found.values())
    add(
        "status.applied",
        "... each applied at ROIT at least once",
        total,
        applied,
        "sandbox history",
        detail=some(rid for rid, n in found.items() if n < len(sent[rid])),
    )
    extra = sum(len(e.roit_statuses(rid)) for rid in sent) - applied
    add(
        "status.applied_again",
        "... applied again (redelivered: a lost ack, a killed function)",
        0,
        extra,
        "sandbox history",
        info=True,
    )
    return rows
