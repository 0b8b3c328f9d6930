"""A webhook's claim lives until its signed timestamp plus the tolerance (plus the clock skew
allowed between instances), counted from the stamp, not from arrival (pure, no process)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from idem_helpers import Clock

from shared.core.errors import RoitError, WebhookVerificationError
from shared.entry.webhook_once import CLOCK_SKEW_S, run_webhook_once
from shared.entry.webhooks import TOLERANCE_S
from shared.idempotency import MemoryStore

pytestmark = pytest.mark.unit


def _stamp(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@pytest.mark.parametrize("ahead_s", [0.0, 200.0, -250.0])
def test_the_claim_expires_with_the_window_of_the_stamp(clock: Clock, ahead_s: float) -> None:
    store = MemoryStore(clock=clock)
    stamp = _stamp(clock.now + ahead_s)
    calls: list[int] = []
    assert run_webhook_once(store, "w1", stamp, TOLERANCE_S, lambda: calls.append(1) or {"a": 1})
    ends = stamp.timestamp() + TOLERANCE_S + CLOCK_SKEW_S
    clock.now = ends - 1
    answer = run_webhook_once(store, "w1", stamp, TOLERANCE_S, lambda: calls.append(1) or {})
    assert answer.headers["Webhook-Replayed"] == "true" and answer.get_json() == {"a": 1}
    clock.now = ends + 1
    run_webhook_once(store, "w1", stamp, TOLERANCE_S, lambda: calls.append(1) or {})
    assert len(calls) == 2  # the first, and one after the window (refused by the stamp anyway)


def test_a_failed_attempt_leaves_the_id_to_the_partners_retry(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    stamp = _stamp(clock.now)

    def fails() -> dict:
        raise RoitError("ROIT is failing", ambiguous=True)

    with pytest.raises(RoitError):
        run_webhook_once(store, "w2", stamp, TOLERANCE_S, fails)
    assert run_webhook_once(store, "w2", stamp, TOLERANCE_S, lambda: {"ok": True}) == {"ok": True}


def test_an_id_in_progress_is_a_replay(clock: Clock) -> None:
    store = MemoryStore(clock=clock)
    stamp = _stamp(clock.now)

    def replays() -> dict:
        return run_webhook_once(store, "w3", stamp, TOLERANCE_S, lambda: {"second": True})

    with pytest.raises(WebhookVerificationError, match="replay"):
        run_webhook_once(store, "w3", stamp, TOLERANCE_S, replays)
