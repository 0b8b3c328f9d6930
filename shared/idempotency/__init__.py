"""Effects exactly once across instances: a shared idempotency store.

The folder, Powertools-style (one base, one file per backend, its own exceptions):

* :mod:`.records` — what a record holds and every decision on it, as pure functions;
* :mod:`.base` — :class:`IdempotencyStore`: claim / record progress / complete / fail /
  forget / advance (the newest applied publish time), errors wrapped in
  :class:`StoreUnavailableError`;
* :mod:`.memory` — the per-instance default; :mod:`.firestore` — the shared store;
* :mod:`.lease` — one poll run at a time; what the webhooks and the push functions do with
  the store is :mod:`shared.entry.webhook_once` and :mod:`shared.push.once`.

:func:`store_for` picks the backend from ``ROIT_IDEMPOTENCY_STORE`` at cold start; without
a shared store it says once that effects are per instance.
"""

from __future__ import annotations

from shared.core.logs import get_logger
from shared.core.settings import IdempotencyBackend, RoitSettings
from shared.idempotency.base import IdempotencyStore, invocation_end
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.memory import MemoryStore
from shared.idempotency.records import Claim, ClaimState

__all__ = [
    "Claim",
    "ClaimState",
    "IdempotencyStore",
    "MemoryStore",
    "StoreUnavailableError",
    "invocation_end",
    "store_for",
]

log = get_logger("idempotency")


def store_for(settings: RoitSettings) -> IdempotencyStore:
    """The instance's store (no network until its first use)."""
    if settings.idempotency_store is IdempotencyBackend.FIRESTORE:
        from shared.idempotency.firestore import FirestoreStore

        assert settings.gcp_project is not None  # checked with the settings
        return FirestoreStore(
            settings.gcp_project,
            database=settings.idempotency_database,
            collection=settings.idempotency_collection,
        )
    log.warning(
        "no shared idempotency store (ROIT_IDEMPOTENCY_STORE=memory): webhook replays and poll "
        "runs are checked per instance only; push redeliveries and out-of-order statuses are "
        "not recognised",
        extra={"fields": {"event": "idempotency_per_instance"}},
    )
    return MemoryStore()
