"""The soak's reconciliation, part 2: deliveries, dead letters, the HTTP callers, the poll runs,
the faults themselves, and the processes (memory, secrets in logs). :func:`reconcile` puts
every row of both parts together."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from devstack.report import Check
from devstack.soak_evidence import Evidence
from devstack.soak_reconcile import _section, document_checks, pending_checks, status_checks

__all__ = ["reconcile"]

MIB = 1024


def reconcile(e: Evidence) -> list[Check]:
    """Every row of the soak's table, in order."""
    return [
        *document_checks(e),
        *pending_checks(e),
        *status_checks(e),
        *delivery_checks(e),
        *dead_letter_checks(e),
        *caller_checks(e),
        *poll_checks(e),
        *fault_checks(e),
        *process_checks(e),
    ]


def delivery_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = _section("4. deliveries: ERP -> roit-deliveries -> register_delivery -> ROIT", rows)
    plan = e.plan
    published = [key for key in plan.items if e.erp.published.get(key)]
    add("delivery messages the ERP published", len(plan.items), len(published), "ERP")
    add(f"... with more items than one call takes (> {100})", 0, plan.over_batch, "plan", info=True)
    codes = Counter(c for key in plan.items for c in plan.items[key])
    codes.update(c for bad in plan.bad for c in bad.delivered)
    at_roit = e.delivered_codes
    add(
        "items that reached ROIT at least once",
        len(codes),
        sum(1 for c in codes if at_roit[c]),
        "sandbox deliveries",
    )
    again = sum(n - 1 for c, n in at_roit.items() if n > 1 and c in codes)
    add(
        "... items ROIT received again (a redelivered message is sent again)",
        0,
        again,
        "sandbox deliveries",
        info=True,
    )
    calls = e.stats.get("calls", {}).get("delivery", {})
    add("delivery calls ROIT accepted", 0, int(calls.get("200", 0)), "sandbox stats", info=True)
    return rows


def _letter_codes(data: bytes) -> set[str]:
    try:
        body = json.loads(data)
    except ValueError:
        return set()
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return set()
    return {str(i.get("code")) for i in items if isinstance(i, dict)}


def dead_letter_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = _section("5. dead letters (every <topic>-dead-letter-sub)", rows)
    letters = e.erp.dead_letters
    bad = {b.message.key: b for b in (*e.plan.bad, *e.bad_statuses)}
    sent_bad = {key for key in bad if e.erp.published.get(key)}
    add("dead letters pulled", 0, len(letters), "dead-letter subs", info=True)
    complete = [x for x in letters if x.attributes.get("error") and x.attributes.get("reason")]
    add("... carrying an error and a reason", len(letters), len(complete), "dead-letter subs")
    explained = [
        x
        for x in letters
        if (b := bad.get(x.attributes.get("soakKey", ""))) and x.attributes.get("error") == b.error
    ]
    add(
        "... explained by a bad message the workload sent on purpose",
        len(letters),
        len(explained),
        "dead-letter subs + plan",
    )
    found = {x.attributes["soakKey"] for x in explained}
    add(
        "bad messages sent on purpose, each dead-lettered with its expected error",
        len(sent_bad),
        len(found & sent_bad),
        "dead-letter subs + plan",
    )
    rest = {code for b in bad.values() for code in b.rest}
    carried = {c for x in explained for c in _letter_codes(x.data)} & rest
    add(
        "... the undelivered items carried by their dead letter",
        len(rest),
        len(carried),
        "dead-letter data",
    )
    twice = sum(n - 1 for n in Counter(x.attributes.get("soakKey") for x in explained).values())
    add(
        "... dead-lettered more than once (redelivered before the ack)",
        0,
        twice,
        "dead-letter subs",
        info=True,
    )
    return rows


def caller_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = _section("6. reprocess (signed webhook, team) and get_attachments", rows)
    add("unsigned webhook refused (HTTP status)", 401, e.unsigned_webhook, "reprocess-webhook")
    for kind, label in (("webhook", "signed webhook"), ("team", "team (plain HTTP)")):
        calls = e.calls_of(kind)
        done = [c for c in calls if c.outcome == "accepted" or _acted(e, c.request_id)]
        add(
            f"reprocess by {label}: accepted, or ROIT acted",
            len(calls),
            len(done),
            "callers + sandbox history",
        )
    replays = sum(c.outcome == "replay_refused" for c in e.calls_of("webhook"))
    add(
        "... webhook retries refused as replays after an ambiguous failure",
        0,
        replays,
        "callers",
        info=True,
    )
    operator = e.calls_of("operator")
    add(
        "operator reprocess of entities a poller named failed",
        0,
        len(operator),
        "callers",
        info=True,
    )
    fetched = e.calls_of("attachments")
    add(
        "attachment lists fetched (HTTP 200, after retries)",
        len(fetched),
        sum(c.outcome == "accepted" for c in fetched),
        "get_attachments",
    )
    add(
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
    add = _section("7. poll runs (two poll_pending deployments, Cloud Scheduler style)", rows)
    statuses = Counter(str(run.status) for run in e.runs)
    add(
        "poll runs with a summary (" + _listing(statuses) + ")",
        0,
        len(e.summaries),
        "poll_pending",
        info=True,
    )
    errors = Counter(run.error for run in e.runs if run.status is None)
    add(
        "poll calls with no answer at all" + (f" ({_listing(errors)})" if errors else ""),
        0,
        statuses["None"],
        "poll_pending",
    )
    called = _overlaps(e, answered=False)
    add("two pollers were called at the same time (at least once)", 1, min(1, called), "calls")
    # one run at a time across instances: the lease in the idempotency store (409 to the other).
    # Calls can overlap by a few ms when one run ended (lease given back) as the other asked,
    # so what counts is two runs that both drained pages at the same time.
    add(
        "... pairs of runs of different pollers that drained at the same time",
        0,
        _overlaps(e, draining=True),
        "poll runs",
    )
    stops = Counter(t.get("stopped") for s in e.summaries for t in s.get("targets", []))
    add("target stops: " + _listing(stops), 0, sum(stops.values()), "poll summaries", info=True)
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


def fault_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = _section("8. faults injected", rows)
    stats = e.fault_stats or e.stats  # what ROIT answered while the faults were on
    calls: dict[str, dict[str, int]] = stats.get("calls", {})
    roit = [c for name, c in calls.items() if name not in ("_sandbox", "files", "unknown")]
    total = sum(sum(c.values()) for c in roit)

    def share(n: int) -> str:
        return f"{100 * n / max(total, 1):.1f}% of {total} calls in the fault phase"

    fives = sum(n for c in roit for k, n in c.items() if k.isdigit() and k.startswith("5"))
    add(f"ROIT answered 5xx ({share(fives)})", 0, fives, "sandbox stats", info=True)
    limited = sum(c.get("429", 0) for c in roit)
    add(
        f"ROIT answered 429 + Retry-After ({share(limited)})",
        0,
        limited,
        "sandbox stats",
        info=True,
    )
    for kind, label in (("dropped", "connections dropped"), ("slow_body", "slow bodies")):
        add(f"ROIT {label}", 0, sum(c.get(kind, 0) for c in roit), "sandbox stats", info=True)
    add(
        "ROIT latency spikes",
        0,
        sum(stats.get("latencySpikes", {}).values()),
        "sandbox stats",
        info=True,
    )
    add(
        "token exchanges at ROIT",
        0,
        int(e.stats.get("tokenExchanges", 0)),
        "sandbox stats",
        info=True,
    )
    names = Counter(f.name for f in e.faults)
    for name, n in sorted(names.items()):
        add(name, 0, n, "soak", info=True)
    add(
        "credentials rotated: ROIT and Secret Manager hold the new secret",
        1,
        int(e.rotation_ok),
        "sandbox config + Secret Manager",
    )
    for f in e.faults:
        if "restored" in f.detail:
            add(
                "emulator restart: the ERP had every pending message before the stop",
                1,
                int(bool(f.detail.get("pendingDrained"))),
                "ERP + poll summaries",
            )
            add(
                "... ERP messages it held, published again after it (it keeps nothing)",
                0,
                int(f.detail["restored"]),
                "soak",
                info=True,
            )
            add(
                "... poll runs waiting on it ended before it was wired again",
                1,
                int(bool(f.detail.get("runsEnded"))),
                "soak",
            )
        if "connectionsAtKill" in f.detail:
            add(
                f"{f.name}: connections open at the kill",
                1,
                min(1, int(f.detail["connectionsAtKill"])),
                "/proc/net/tcp",
            )
    return rows


def process_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = _section("9. processes", rows)
    for label in sorted(e.rss_since):
        samples = [s for s in e.rss if s.label == label and s.at >= e.rss_since[label]]
        if len(samples) < 2:  # restarted too close to the end to be measured
            add(
                f"{label}: worker RSS samples since its warm-up",
                0,
                len(samples),
                "/proc",
                info=True,
            )
            continue
        start, end = samples[0].kib // MIB, samples[-1].kib // MIB
        peak = max(s.kib for s in samples) // MIB
        add(
            f"{label} worker RSS growth, MiB ({start} -> {end}, peak {peak})",
            e.rss_limit_mib,
            end - start,
            "/proc/<pid>/status",
            at_most=True,
        )
    add("function processes running at the end", len(e.alive), sum(e.alive.values()), "soak")
    add(f"log lines scanned ({e.scan.files} files)", 0, e.scan.lines, "logs", info=True)
    add("log lines holding a secret or a token", 0, e.scan.total, "logs")
    for (where, kind), n in sorted(e.scan.hits.items()):
        add(f"... {where}: {kind}", 0, n, "logs")
    return rows
