"""Handing entities back to ROIT (``reprocess``), in parallel, within the run's deadline."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from shared.core import deadline
from shared.core.errors import RoitError
from shared.core.logs import get_logger
from shared.roit.client import RoitClient

__all__ = ["HAND_BACK_ROUNDS", "hand_back", "hand_back_reserve_s"]

log = get_logger("poller")


HAND_BACK_ROUNDS = 3
"""Rounds of hand-backs: what failed for a passing reason is tried again after a pause (a
document not handed back stays PROCESSING at ROIT, so it is worth more than one call's
retries), as long as the run's deadline leaves time."""


def hand_back_reserve_s(client: RoitClient) -> float:
    """The time a hand-back needs, kept back from every publish of a page: one ``reprocess``
    call's connection and answer (the calls of a hand-back run in parallel), at most one
    call's retry budget. With the defaults, 5 + 15 = 20 s."""
    settings = client.settings
    return min(settings.retry_budget_s, settings.http_connect_timeout_s + settings.http_timeout_s)


def hand_back(
    client: RoitClient,
    items: list[tuple[str, str | None]],
    *,
    workers: int,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Ask ROIT to reprocess each ``(requestId, integrationId)``, which puts it back in the
    pending queue; returns the request ids that could not be handed back.

    Each call runs in a copy of the caller's context: the run's log fields and its deadline
    (a hand-back the deadline leaves no time for fails fast and is returned).
    """
    pending, failed = list(items), []
    for round_number in range(HAND_BACK_ROUNDS):
        errors = _one_round(client, pending, workers)
        failed = [item[0] for item, error in zip(pending, errors, strict=True) if error]
        pending = [
            item for item, error in zip(pending, errors, strict=True) if error and error.transient
        ]
        pause = float(2**round_number)
        if not pending or round_number + 1 == HAND_BACK_ROUNDS:
            break
        if deadline.remaining() <= pause + client.settings.retry_budget_s:
            break
        log.warning(
            "some entities could not be handed back yet; trying again",
            extra={"fields": {"count": len(pending), "retryInS": pause}},
        )
        sleep(pause)
    return failed


def _one_round(
    client: RoitClient, items: list[tuple[str, str | None]], workers: int
) -> list[RoitError | None]:
    if not items:
        return []

    def one(item: tuple[str, str | None]) -> RoitError | None:
        try:
            client.reprocess(item[0], integration_id=item[1])
        except RoitError as exc:
            return exc
        return None

    contexts = [copy_context() for _ in items]
    with ThreadPoolExecutor(max(1, min(workers, len(items))), "hand-back") as pool:
        return list(pool.map(lambda c, i: c.run(one, i), contexts, items))
