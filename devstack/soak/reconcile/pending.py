"""The soak's table, section 2: every pending message, from the pollers to the ERP."""

from __future__ import annotations

from collections import Counter

from devstack.report import Check
from devstack.soak.reconcile.evidence import Evidence
from devstack.soak.reconcile.rows import SUMMARY, section, some

__all__ = ["pending_checks"]


def pending_checks(e: Evidence) -> list[Check]:
    """Every pending entity ROIT handed out: published once per hand-out, received."""
    rows: list[Check] = []
    add = section("2. pending: poll_pending -> roit-pending -> ERP", rows)
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
    handed = e.summary_ids("handedBackRequestIds") + e.summary_ids("failedRequestIds")
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
        "entities handed back to ROIT by a poller",
        0,
        sum(e.summary_ids("handedBackRequestIds").values()),
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
            for rid in target.get("handedBackRequestIds", []):
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
        "pending pages lost after commit (injected, taken before the faults ended)",
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
