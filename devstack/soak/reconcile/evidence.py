"""Everything the soak gathered, and the facts derived from it that several checks share.

Sources: the sandbox's own state (every request with its history, the requests summary with
`timesReturned` and the pages dropped after commit, every delivery received, its call
counters), the ERP's ledger (what it received from and sent to Pub/Sub, the dead letters it
pulled), the poll runs' summaries, the callers' records, the faults' records, the processes'
logs and memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any

from devstack.soak.drivers import AMBIGUOUS, Call, PollRun
from devstack.soak.erp import DeadLetter, Receipt
from devstack.soak.faults import FaultRecord
from devstack.soak.observe import LogEvents, RssSample, SecretScan
from devstack.soak.workload import BadMessage, DeliveryPlan

__all__ = ["TERMINAL", "ErpView", "Evidence", "difference", "held_keys", "outstanding"]

TERMINAL = frozenset({"DONE", "ERROR", "WARNING"})
_MAY_HAVE_REACHED_ROIT = AMBIGUOUS | {0, 200}  # 0: no answer from the function


@dataclass
class ErpView:
    """The ERP's ledger, as the checks read it."""

    receipts: list[Receipt]
    deliveries: Counter[str]  # pending message id -> times Pub/Sub delivered it
    statuses: dict[str, list[str]]  # requestId -> statuses sent, in order
    status_keys: dict[str, list[str]]  # requestId -> their soakKeys, in the same order
    published: dict[str, list[str]]  # soakKey -> message ids Pub/Sub gave
    dead_letters: list[DeadLetter]
    errors: Counter[str]


@dataclass
class Evidence:
    """What the soak saw; :mod:`devstack.soak.reconcile.rows` turns it into checks."""

    requests: list[dict[str, Any]]
    summary: dict[str, Any]
    deliveries: list[dict[str, Any]]
    stats: dict[str, Any]
    erp: ErpView
    plan: DeliveryPlan
    bad_statuses: list[BadMessage]
    seeded: int  # ready entities the soak seeded
    received: int  # not-ready documents the soak seeded
    runs: list[PollRun]
    calls: list[Call]
    faults: list[FaultRecord]
    lost_pages_armed: int  # armed and taken before the faults ended
    logs: LogEvents
    rss: list[RssSample] = field(default_factory=list)
    rss_since: dict[str, float] = field(default_factory=dict)  # label -> baseline time
    rss_limit_mib: int = 64
    scan: SecretScan = field(default_factory=SecretScan)
    alive: dict[str, bool] = field(default_factory=dict)
    unsigned_webhook: int = 0
    rotation_ok: bool = True
    fault_stats: dict[str, Any] = field(default_factory=dict)  # sandbox stats, faults' end

    # -- the sandbox's requests ------------------------------------------------------------
    @cached_property
    def by_id(self) -> dict[str, dict[str, Any]]:
        return {r["requestId"]: r for r in self.requests}

    @cached_property
    def seeded_ready(self) -> set[str]:
        """Requests seeded ready for integration (their history starts PENDING)."""
        return {rid for rid, r in self.by_id.items() if r["history"][:1] and _first(r) == "PENDING"}

    @cached_property
    def not_ready(self) -> set[str]:
        return {rid for rid, r in self.by_id.items() if _first(r) == "RECEIVED"}

    def with_status(self, *statuses: str) -> set[str]:
        return {rid for rid in self.seeded_ready if self.by_id[rid]["status"] in statuses}

    @cached_property
    def dropped_pages(self) -> list[list[str]]:
        return [list(page) for page in self.summary.get("droppedAfterCommit", [])]

    @cached_property
    def dropped_ids(self) -> set[str]:
        return {rid for page in self.dropped_pages for rid in page}

    @cached_property
    def lost(self) -> set[str]:
        """Still PROCESSING at the end, in a page ROIT dropped after committing it."""
        return self.with_status("PROCESSING") & self.dropped_ids

    def returns(self, rid: str) -> int:
        return int(self.summary.get("timesReturned", {}).get(rid, 0))

    def roit_statuses(self, rid: str) -> list[str]:
        """Statuses ROIT applied from `status` calls, in order."""
        return [h["status"] for h in self.by_id[rid]["history"] if h["source"] == "status"]

    def reprocess_moves(self, rid: str) -> int:
        return sum(h["source"] == "reprocess" for h in self.by_id[rid]["history"])

    @cached_property
    def stale_statuses(self) -> set[str]:
        """Requests a status reached while ROIT had them PENDING again (reprocessed or handed
        back, not handed out since): a late or redelivered status, which ROIT applied anyway,
        so the request is not offered again."""
        found = set()
        for rid, request in self.by_id.items():
            history = request["history"]
            for before, after in pairwise(history):
                if before["status"] == "PENDING" and after["source"] == "status":
                    found.add(rid)
        return found

    # -- the ERP ---------------------------------------------------------------------------
    @cached_property
    def publishes(self) -> Counter[str]:
        """requestId -> distinct pending messages the ERP received for it."""
        return Counter(r.request_id for r in self.erp.receipts)

    @cached_property
    def published_by_pollers(self) -> int:
        return sum(int(s.get("totals", {}).get("published", 0)) for s in self.summaries)

    # -- the callers and the pollers -------------------------------------------------------
    @cached_property
    def summaries(self) -> list[dict[str, Any]]:
        return [run.summary for run in self.runs if run.summary is not None]

    def summary_ids(self, key: str) -> Counter[str]:
        """How often each request id appears in the summaries' `key` lists."""
        return Counter(
            rid for s in self.summaries for t in s.get("targets", []) for rid in t.get(key, [])
        )

    @cached_property
    def reprocess_attempts(self) -> Counter[str]:
        """requestId -> reprocess attempts by a caller that may have reached ROIT."""
        return Counter(
            call.request_id
            for call in self.calls
            if call.kind != "attachments"
            for status in call.statuses
            if status in _MAY_HAVE_REACHED_ROIT
        )

    def calls_of(self, *kinds: str) -> list[Call]:
        return [call for call in self.calls if call.kind in kinds]

    # -- deliveries ------------------------------------------------------------------------
    @cached_property
    def delivered_codes(self) -> Counter[str]:
        """Item code -> times ROIT received it."""
        return Counter(str(i.get("code")) for d in self.deliveries for i in d.get("data", []))


def outstanding(e: Evidence) -> dict[str, int]:
    """What the ERP and the pollers sent that has not had its effect yet: pending messages
    not received, statuses not applied at ROIT, delivery items not at ROIT, bad messages not
    dead-lettered. All zero: Pub/Sub holds nothing that matters."""
    statuses = sum(
        (Counter(sent) - Counter(e.roit_statuses(rid))).total()
        for rid, sent in e.erp.statuses.items()
        if rid in e.by_id
    )
    codes = [c for key, cs in e.plan.items.items() if e.erp.published.get(key) for c in cs]
    codes += [c for b in e.plan.bad if e.erp.published.get(b.message.key) for c in b.delivered]
    lettered = {x.attributes.get("soakKey") for x in e.erp.dead_letters}
    bad = [b.message.key for b in (*e.plan.bad, *e.bad_statuses)]
    return {
        "pending messages": max(0, e.published_by_pollers - len(e.erp.receipts)),
        "statuses": statuses,
        "delivery items": sum(not e.delivered_codes[c] for c in codes),
        "dead letters": sum(bool(e.erp.published.get(k)) and k not in lettered for k in bad),
    }


def _first(request: dict[str, Any]) -> str:
    history = request.get("history") or [{}]
    return str(history[0].get("status", ""))


def held_keys(e: Evidence) -> list[str]:
    """The ERP's messages Pub/Sub has taken whose effect is not there yet: statuses ROIT has
    not applied, deliveries with an item ROIT has not received, bad messages not dead-lettered
    (what an emulator that stops now would lose)."""
    held: list[str] = []
    for rid, keys in e.erp.status_keys.items():
        if rid not in e.by_id:
            continue
        applied = Counter(e.roit_statuses(rid))
        for key, status in zip(keys, e.erp.statuses[rid], strict=True):
            if applied[status]:
                applied[status] -= 1
            elif e.erp.published.get(key):
                held.append(key)
    for key, codes in e.plan.items.items():
        if e.erp.published.get(key) and not all(e.delivered_codes[c] for c in codes):
            held.append(key)
    lettered = {x.attributes.get("soakKey") for x in e.erp.dead_letters}
    held += [
        b.message.key
        for b in (*e.plan.bad, *e.bad_statuses)
        if e.erp.published.get(b.message.key) and b.message.key not in lettered
    ]
    return held


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Sandbox stats `after` minus `before`: calls and latency spikes of the fault phase."""
    calls = {
        name: {k: n - before["calls"].get(name, {}).get(k, 0) for k, n in codes.items()}
        for name, codes in after["calls"].items()
    }
    spikes = {k: n - before["latencySpikes"].get(k, 0) for k, n in after["latencySpikes"].items()}
    return {"calls": calls, "latencySpikes": spikes}
