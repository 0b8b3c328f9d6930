"""The store's public surface (a template method, as Powertools' persistence layer): the
public methods own the decisions (:mod:`.records`), the clock and the error wrapping; a
backend only runs one change on one record atomically (:meth:`IdempotencyStore._run`)."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from shared.core import deadline
from shared.core.settings import DEADLINE_RESERVE_S
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.records import (
    Change,
    Claim,
    ClaimState,
    at,
    decide_advance,
    decide_claim,
    decide_finish,
    decide_forget,
    decide_progress,
)

__all__ = ["STORE_CALL_S", "IdempotencyStore", "invocation_end"]

T = TypeVar("T")

STORE_CALL_S = 5.0
"""The longest one store operation may take (and never past the invocation's deadline)."""
_NO_DEADLINE_S = 3600.0


def invocation_end(clock: Callable[[], float] = time.time) -> float:
    """When the current invocation surely ended (epoch seconds): its deadline plus the reserve
    the platform still allows. An in-progress claim lapses then, so an instance that died
    mid-work never blocks the retry for longer than the invocation could have lasted."""
    left = deadline.remaining()
    return clock() + (_NO_DEADLINE_S if math.isinf(left) else max(0.0, left)) + DEADLINE_RESERVE_S


class IdempotencyStore(ABC):
    """Claims, outcomes, progress and ordering of effects.

    Args:
        clock: epoch-seconds clock (every instance's clock is NTP-synchronised on Google
            Cloud; a claim's expiry is compared with the clock of whoever reads it).
    """

    shared: bool = False
    """True when every instance sees the same records (effects happen once overall)."""
    kind: str = "?"

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock

    # ------------------------------------------------------------------ public surface

    def claim(self, key: str, *, until: float) -> Claim:
        """Claim ``key`` until ``until`` (epoch seconds): :attr:`ClaimState.NEW` if the caller
        now holds it, else what holds it (an attempt in progress, or a completed outcome).

        Raises:
            StoreUnavailableError: the store failed; nothing was claimed.
        """
        return self._apply(key, decide_claim(key, at(until)))

    def record_progress(self, claim: Claim, progress: int) -> bool:
        """Record how far ``claim``'s effect got; False if the claim lapsed meanwhile.

        Raises:
            StoreUnavailableError: the store failed.
        """
        return self._apply(claim.key, decide_progress(claim, progress))

    def complete(self, claim: Claim, outcome: dict[str, Any], *, keep_until: float) -> bool:
        """The effect is done: a later claim gets ``outcome`` until ``keep_until``.

        Raises:
            StoreUnavailableError: the store failed.
        """
        return self._finish(claim, str(ClaimState.COMPLETED), outcome, keep_until)

    def fail(self, claim: Claim, outcome: dict[str, Any] | None, *, keep_until: float) -> bool:
        """The attempt failed: the key may be claimed again at once; its progress is kept
        until ``keep_until``, so a retry resumes where this one stopped.

        Raises:
            StoreUnavailableError: the store failed.
        """
        return self._finish(claim, "failed", outcome, keep_until)

    def forget(self, claim: Claim) -> bool:
        """Delete ``claim``'s record if it still holds it (a lease given back).

        Raises:
            StoreUnavailableError: the store failed.
        """
        return self._apply(claim.key, decide_forget(claim))

    def advance(self, key: str, stamp: float, *, keep_until: float) -> bool:
        """Compare-and-set ``key``'s newest applied publish time: True (and recorded) unless a
        newer one was applied already.

        Raises:
            StoreUnavailableError: the store failed.
        """
        return self._apply(key, decide_advance(key, stamp, at(keep_until)))

    def now(self) -> datetime:
        """The store's idea of now, as records keep it."""
        return at(self.clock())

    # ------------------------------------------------------------------ backend

    def _finish(
        self, claim: Claim, state: str, outcome: dict[str, Any] | None, keep_until: float
    ) -> bool:
        return self._apply(claim.key, decide_finish(claim, state, outcome, at(keep_until)))

    def _apply(self, key: str, change: Change[T]) -> T:
        try:
            return self._run(key, change)
        except StoreUnavailableError:
            raise
        except Exception as exc:
            raise StoreUnavailableError(
                f"the idempotency store ({self.kind}) failed: {type(exc).__name__}"
            ) from exc

    @abstractmethod
    def _run(self, key: str, change: Change[T]) -> T:
        """Read ``key``'s record, apply ``change`` (with :meth:`now`) and write its result,
        atomically; return the change's result."""
