"""Breaks the connector on purpose, to prove the soak catches it (never used otherwise).

Python imports `sitecustomize` at start-up from any directory on its path; the soak puts this
directory on the function processes' `PYTHONPATH` only with `--sabotage KIND`, and sets
`DEVSTACK_SABOTAGE=KIND`:

* `drop-published` — poll_pending leaves every 10th entity off the pending topic but counts it
  as published (a message lost between ROIT and the ERP);
* `skip-hand-back` — poll_pending says it handed entities back to ROIT, without asking ROIT;
* `lose-status` — update_status acknowledges every 10th status without reporting it to ROIT;
* `store-bypassed` — every function's idempotency store grants every claim and every publish
  time (nothing is ever a duplicate, a replay, older, or held by another run).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

EVERY = 10


def _drop_published() -> None:
    from shared.poll.sink import Sink

    original = Sink.send
    counter = itertools.count(1)
    pending = os.environ.get("ROIT_PENDING_TOPIC", "")

    def send(self: Sink, messages: Any) -> Any:
        if self.topic != pending:
            return original(self, messages)
        dropped = {i for i in range(len(messages)) if next(counter) % EVERY == 0}
        kept = [m for i, m in enumerate(messages) if i not in dropped]
        outcomes = iter(original(self, kept))
        return [f"sabotaged-{i}" if i in dropped else next(outcomes) for i in range(len(messages))]

    Sink.send = send  # type: ignore[method-assign]


def _skip_hand_back() -> None:
    import shared.poll.route

    def hand_back(client: Any, items: Any, *, workers: int) -> list[str]:
        return []

    vars(shared.poll.route)["hand_back"] = hand_back  # the name the page handler calls


def _lose_status() -> None:
    from shared.roit.client import RoitClient

    original: Any = RoitClient.update_status
    counter = itertools.count(1)

    def update_status(self: RoitClient, update: Any) -> Any:
        if next(counter) % EVERY == 0:
            return None  # acknowledged, never reported
        return original(self, update)

    RoitClient.update_status = update_status  # type: ignore[method-assign]


def _store_bypassed() -> None:
    from shared.idempotency.base import IdempotencyStore
    from shared.idempotency.records import Claim, ClaimState

    def claim(self: IdempotencyStore, key: str, *, until: float) -> Claim:
        return Claim(key, ClaimState.NEW, token="bypassed")

    def advance(self: IdempotencyStore, key: str, stamp: float, *, keep_until: float) -> bool:
        return True

    IdempotencyStore.claim = claim  # type: ignore[method-assign]
    IdempotencyStore.advance = advance  # type: ignore[method-assign]


_KINDS = {
    "drop-published": _drop_published,
    "skip-hand-back": _skip_hand_back,
    "lose-status": _lose_status,
    "store-bypassed": _store_bypassed,
}
KINDS = tuple(_KINDS)

if (_kind := os.environ.get("DEVSTACK_SABOTAGE")) in _KINDS:
    _KINDS[_kind]()
