"""The store's operations, on the per-instance store and on the real Firestore emulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from idem_helpers import Clock

from shared.core import deadline
from shared.core.settings import DEADLINE_RESERVE_S
from shared.idempotency import ClaimState, IdempotencyStore, MemoryStore, invocation_end
from shared.idempotency.records import at, decide_advance, decide_claim

pytestmark = pytest.mark.integration


def test_a_new_key_is_claimed_then_seen_in_progress_by_another(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    claim = first.claim("k", until=clock.now + 60)
    assert claim.state is ClaimState.NEW and claim.token
    assert second.claim("k", until=clock.now + 60).state is ClaimState.IN_PROGRESS


def test_a_completed_key_returns_its_outcome_until_kept(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    claim = first.claim("k", until=clock.now + 60)
    assert first.complete(claim, {"answer": 1}, keep_until=clock.now + 300)
    again = second.claim("k", until=clock.now + 60)
    assert (again.state, again.outcome) == (ClaimState.COMPLETED, {"answer": 1})
    clock.now += 301
    assert second.claim("k", until=clock.now + 60).state is ClaimState.NEW


def test_an_in_progress_claim_lapses_at_its_deadline(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    dead = first.claim("k", until=clock.now + 30)
    first.record_progress(dead, 200)
    clock.now += 29
    assert second.claim("k", until=clock.now + 30).state is ClaimState.IN_PROGRESS
    clock.now += 2  # the first instance died: its claim lapsed with its invocation
    taken = second.claim("k", until=clock.now + 30)
    assert (taken.state, taken.progress) == (ClaimState.NEW, 200)
    # the dead attempt's token no longer holds anything
    assert not first.complete(dead, {"late": True}, keep_until=clock.now + 300)
    assert second.complete(taken, {"ok": True}, keep_until=clock.now + 300)


def test_a_failed_attempt_is_claimable_at_once_with_its_progress(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    claim = first.claim("k", until=clock.now + 60)
    assert first.record_progress(claim, 3)
    assert first.fail(claim, {"status": 502}, keep_until=clock.now + 600)
    retry = second.claim("k", until=clock.now + 60)
    assert (retry.state, retry.progress) == (ClaimState.NEW, 3)


def test_forget_gives_a_lease_back_only_to_its_holder(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    lease = first.claim("lease", until=clock.now + 60)
    other = second.claim("lease", until=clock.now + 60)
    assert other.state is ClaimState.IN_PROGRESS
    assert not second.forget(other)  # holds nothing
    assert first.forget(lease)
    assert second.claim("lease", until=clock.now + 60).state is ClaimState.NEW


def test_advance_keeps_the_newest_publish_time(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    first, second = stores(), stores()
    keep = clock.now + 3600
    assert first.advance("order/r1", 100.0, keep_until=keep)
    assert second.advance("order/r1", 103.5, keep_until=keep)
    assert not first.advance("order/r1", 100.0, keep_until=keep)  # older, after a newer
    assert second.advance("order/r1", 103.5, keep_until=keep)  # the same one, redelivered
    assert first.advance("order/r2", 1.0, keep_until=keep)  # per request id


def test_concurrent_claims_have_exactly_one_winner(
    stores: Callable[[], IdempotencyStore], clock: Clock
) -> None:
    views = [stores() for _ in range(6)]
    results: list[ClaimState] = []
    barrier = threading.Barrier(len(views))

    def claim(view: IdempotencyStore) -> None:
        barrier.wait()
        results.append(view.claim("race", until=clock.now + 60).state)

    threads = [threading.Thread(target=claim, args=(v,)) for v in views]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results).count(ClaimState.NEW) == 1
    assert len(results) == len(views)


def test_an_in_progress_claim_ends_with_the_invocation() -> None:
    with deadline.deadline_scope(40):
        end = invocation_end(lambda: 1000.0)
    assert 1000 + 39 + DEADLINE_RESERVE_S <= end <= 1000 + 40 + DEADLINE_RESERVE_S


def test_decisions_are_pure() -> None:
    now = at(1000)
    write, claim = decide_claim("k", at(1060))(None, now)
    assert claim.state is ClaimState.NEW and isinstance(write, dict)
    assert write["expires_at"] == at(1060)
    _, older = decide_advance("o", 5.0, at(2000))({"newest": 6.0, "expires_at": at(2000)}, now)
    assert older is False
    _, lapsed = decide_advance("o", 5.0, at(2000))({"newest": 6.0, "expires_at": at(999)}, now)
    assert lapsed is True


def test_the_memory_store_stays_bounded(clock: Clock) -> None:
    store = MemoryStore(max_records=3, clock=clock)
    for n in range(10):
        store.claim(f"k{n}", until=clock.now + 60)
    assert len(store) == 3


@pytest.mark.integration
def test_firestore_unavailable_is_a_store_error_within_its_budget(
    firestore_env: Callable[..., IdempotencyStore],
) -> None:
    import os

    from devstack.processes.ports import free_port
    from shared.idempotency import StoreUnavailableError

    os.environ["FIRESTORE_EMULATOR_HOST"] = f"127.0.0.1:{free_port()}"  # nothing listens
    store = firestore_env()
    started = time.monotonic()
    with deadline.deadline_scope(30), pytest.raises(StoreUnavailableError):
        store.claim("k", until=time.time() + 60)
    assert time.monotonic() - started < 8


def test_a_message_id_used_again_for_another_message_is_not_a_redelivery() -> None:
    """The Pub/Sub emulator numbers messages from 1 again after a restart; a redelivery keeps
    its publish time."""
    from datetime import UTC, datetime

    from shared.push.envelope import PushMessage
    from shared.push.once import message_key

    def message(published: float) -> PushMessage:
        return PushMessage(b"x", {}, "105", datetime.fromtimestamp(published, UTC))

    assert message_key("s", message(1.0)) == message_key("s", message(1.0))
    assert message_key("s", message(1.0)) != message_key("s", message(2.0))
