"""The soak's table, sections 6 and 7: the HTTP callers (reprocess, attachments) and the poll
runs."""

from __future__ import annotations

from collections import Counter
from typing import Any

from devstack.report import Check
from devstack.soak.reconcile.evidence import Evidence
from devstack.soak.reconcile.rows import section

__all__ = ["caller_checks", "poll_checks"]


def caller_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("6. reprocess (signed webhook, team) and get_attachments", rows)
    add(
        "callers.unsigned_webhook_refused",
        "unsigned webhook refused (HTTP status)",
        401,
        e.unsigned_webhook,
        "reprocess-webhook",
    )
    for kind, label in (("webhook", "signed webhook"), ("team", "team (plain HTTP)")):
        calls = e.calls_of(kind)
        done = [c for c in calls if c.outcome == "accepted" or _acted(e, c.request_id)]
        add(
            f"callers.reprocess.{kind}",
            f"reprocess by {label}: accepted, or ROIT acted",
            len(calls),
            len(done),
            "callers + sandbox history",
        )
    replays = sum(c.outcome == "replay_refused" for c in e.calls_of("webhook"))
    add(
        "callers.webhook_replays_refused",
        "... webhook retries refused as replays after an ambiguous failure",
        0,
        replays,
        "callers",
        info=True,
    )
    operator = e.calls_of("operator")
    add(
        "callers.operator_reprocess",
        "operator reprocess of entities a poller named failed",
        0,
        len(operator),
        "callers",
        info=True,
    )
    fetched = e.calls_of("attachments")
    add(
        "callers.attachment_lists",
        "attachment lists fetched (HTTP 200, after retries)",
        len(fetched),
        sum(c.outcome == "accepted" for c in fetched),
        "get_attachments",
    )
    add(
        "callers.attachment_files",
        "... files downloaded",
        sum(c.files for c in fetched),
        sum(c.downloaded for c in fetched),
        "sandbox /files",
    )
    return rows


def _acted(e: Evidence, rid: str) -> bool:
    return rid in e.by_id and e.reprocess_moves(rid) > 0


def poll_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("7. poll runs (two poll_pending deployments, Cloud Scheduler style)", rows)
    statuses = Counter(str(run.status) for run in e.runs)
    add(
        "polls.runs_with_summary",
        "poll runs with a summary (" + _listing(statuses) + ")",
        0,
        len(e.summaries),
        "poll_pending",
        info=True,
    )
    errors = Counter(run.error for run in e.runs if run.status is None)
    add(
        "polls.no_answer",
        "poll calls with no answer at all" + (f" ({_listing(errors)})" if errors else ""),
        0,
        statuses["None"],
        "poll_pending",
    )
    called = _overlaps(e, answered=False)
    add(
        "polls.overlap_seen",
        "two pollers were called at the same time (at least once)",
        1,
        min(1, called),
        "calls",
    )
    # one run at a time across instances: the lease in the idempotency store (409 to the other).
    # Calls can overlap by a few ms when one run ended (lease given back) as the other asked,
    # so what counts is two runs that both drained pages at the same time.
    add(
        "polls.overlapping_pairs",
        "... pairs of runs of different pollers that drained at the same time",
        0,
        _overlaps(e, draining=True),
        "poll runs",
    )
    stops = Counter(t.get("stopped") for s in e.summaries for t in s.get("targets", []))
    add(
        "polls.target_stops",
        "target stops: " + _listing(stops),
        0,
        sum(stops.values()),
        "poll summaries",
        info=True,
    )
    return rows


def _listing(counts: Counter[Any]) -> str:
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])))


def _overlaps(e: Evidence, *, answered: bool = True, draining: bool = False) -> int:
    done = [r for r in e.runs if r.summary is not None or not answered]
    if draining:
        done = [r for r in done if (r.summary or {}).get("totals", {}).get("fetched", 0) > 0]
    return sum(
        1
        for i, a in enumerate(done)
        for b in done[i + 1 :]
        if a.label != b.label and a.started < b.ended and b.started < a.ended
    )
