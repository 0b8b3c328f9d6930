"""Handing entities back to ROIT (``reprocess``), in parallel, within the run's deadline."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from shared.client import RoitClient
from shared.errors import RoitError

__all__ = ["hand_back"]


def hand_back(
    client: RoitClient, items: list[tuple[str, str | None]], *, workers: int
) -> list[str]:
    """Ask ROIT to reprocess each ``(requestId, integrationId)``, which puts it back in the
    pending queue; returns the request ids that could not be handed back.

    Each call runs in a copy of the caller's context: the run's log fields and its deadline
    (a hand-back the deadline leaves no time for fails fast and is returned).
    """
    if not items:
        return []

    def one(item: tuple[str, str | None]) -> str | None:
        try:
            client.reprocess(item[0], integration_id=item[1])
        except RoitError:
            return item[0]
        return None

    contexts = [copy_context() for _ in items]
    with ThreadPoolExecutor(
        max(1, min(workers, len(items))), thread_name_prefix="hand-back"
    ) as pool:
        outcomes = list(pool.map(lambda c, i: c.run(one, i), contexts, items))
    return [request_id for request_id in outcomes if request_id is not None]
