"""One run at a time across instances: a lease in the store, expiring with the run's
invocation (a run whose instance died never blocks the next one for longer)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.core.logs import get_logger
from shared.idempotency.base import IdempotencyStore, invocation_end
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.records import ClaimState

__all__ = ["lease"]

log = get_logger("idempotency.lease")


@contextmanager
def lease(store: IdempotencyStore, name: str) -> Iterator[bool]:
    """Hold the lease ``name`` for the block; yields False (and holds nothing) when another
    run holds it.

    Raises:
        StoreUnavailableError: the store failed: the run must not start.
    """
    claim = store.claim(f"lease/{name}", until=invocation_end(store.clock))
    if claim.state is not ClaimState.NEW:
        yield False
        return
    try:
        yield True
    finally:
        try:
            store.forget(claim)
        except StoreUnavailableError as exc:
            log.warning(
                "the lease could not be given back; it lapses with the invocation",
                extra={"fields": {"reason": exc.message}},
            )
