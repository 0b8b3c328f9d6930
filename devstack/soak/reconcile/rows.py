"""The soak's table rows: how a section adds its rows (each with a stable id), and where every
seeded document ended and every status the ERP sent.

Each function returns table rows (:class:`devstack.report.Check`); a row that is not `info`
must hold for the soak to pass. The other sections: :mod:`~devstack.soak.reconcile.pending`,
:mod:`~devstack.soak.reconcile.messages`, :mod:`~devstack.soak.reconcile.calls`,
:mod:`~devstack.soak.reconcile.faults`; :mod:`~devstack.soak.reconcile.checks` puts them together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from devstack.report import Check
from devstack.soak.reconcile.evidence import TERMINAL, Evidence

__all__ = ["SANDBOX", "SUMMARY", "document_checks", "section", "some", "status_checks"]

SANDBOX = "sandbox requests"
SUMMARY = "sandbox summary"


def section(name: str, rows: list[Check]) -> Callable[..., None]:
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
    add = section("1. documents: final state at ROIT", rows)
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


def status_checks(e: Evidence) -> list[Check]:
    """Every status the ERP sent reached ROIT at least once."""
    rows: list[Check] = []
    add = section("3. status: ERP -> roit-status -> update_status -> ROIT", rows)
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
