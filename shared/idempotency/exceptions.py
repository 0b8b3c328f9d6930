"""The idempotency store's one error."""

from __future__ import annotations

from shared.core.errors import Failure, RoitError

__all__ = ["StoreUnavailableError"]


class StoreUnavailableError(RoitError):
    """The store could not be read or written in time: nothing was decided, nothing was done.

    Every edge fails closed on it (docs/concepts.md): a pushed message is retried,
    a webhook answered 503, a poll run not started.
    """

    failure = Failure.STORE
