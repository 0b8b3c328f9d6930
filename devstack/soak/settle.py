"""Waiting for a soak's stack to settle: nothing PENDING, nothing PROCESSING outside a dropped
page, every message's effect seen at ROIT (what :mod:`devstack.soak.run` waits for between
phases and at the end)."""

from __future__ import annotations

import time
from collections.abc import Callable

from devstack.report import Progress
from devstack.soak.drivers import PollScheduler
from devstack.soak.erp import SoakErp
from devstack.soak.reconcile.evidence import Evidence, outstanding

__all__ = ["wait_settled"]


def wait_settled(
    evidence: Callable[[], Evidence],
    erp: SoakErp,
    scheduler: PollScheduler,
    say: Progress,
    *,
    timeout_s: float,
    stall_s: float,
    on_failed: Callable[[set[str]], None] | None = None,
) -> bool:
    """True once settled; False after `stall_s` without progress or `timeout_s` in all.

    `on_failed` (the operator's part) is given, on every look, the request ids a poller named
    failed that are still PROCESSING. A poll run is started whenever none is in flight.
    """
    deadline, last, changed = time.monotonic() + timeout_s, None, time.monotonic()
    while time.monotonic() < deadline:
        e = evidence()
        if on_failed is not None:
            on_failed(set(e.summary_ids("failedRequestIds")) & e.with_status("PROCESSING"))
        left = outstanding(e)
        left["PENDING"] = len(e.with_status("PENDING"))
        left["PROCESSING"] = len(e.with_status("PROCESSING") - e.dropped_ids)
        if not sum(left.values()) and erp.outbox_empty():
            return True
        state = (tuple(left.items()), len(e.erp.receipts), len(e.deliveries))
        if state != last:
            last, changed = state, time.monotonic()
        elif time.monotonic() - changed > stall_s:
            say(f"nothing moved for {stall_s:g} s; still outstanding: {left}")
            return False
        if not scheduler.in_flight():
            scheduler.fire_together()
        time.sleep(1.0)
    say(f"gave up waiting after {timeout_s:g} s")
    return False
