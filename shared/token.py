"""One ROIT token per instance, shared by every concurrent request, renewed ahead of expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import jwt

from shared.errors import AuthenticationError

__all__ = ["DOCUMENTED_LIFETIME_S", "FAILURE_MEMORY_S", "TokenManager", "token_expiry"]

DOCUMENTED_LIFETIME_S = 8 * 3600.0
"""ROIT's Introduction page: a token is valid for 8 hours after it is generated."""

FAILURE_MEMORY_S = 2.0
"""After a transient exchange failure, callers queued behind it fail at once for this long
instead of each running a whole exchange (and its retries) in turn."""


def token_expiry(token: str, *, issued_at: float) -> float:
    """When ``token`` expires (epoch seconds): its JWT ``exp`` claim, else 8 h after issue."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return issued_at + DOCUMENTED_LIFETIME_S
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return float(exp)
    return issued_at + DOCUMENTED_LIFETIME_S


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float
    expires_at: float


class TokenManager:
    """Caches a token and renews it once, for all threads, when it is about to expire.

    Args:
        exchange: performs the token exchange and returns the token (may raise).
        renew_before_s: renew this long before expiry (at most a fifth of the lifetime, so a
            short-lived token is still used for most of its life).
        clock: epoch-seconds clock, replaceable in tests.
    """

    def __init__(
        self,
        exchange: Callable[[], str],
        *,
        renew_before_s: float = 300.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._exchange = exchange
        self._renew_before_s = renew_before_s
        self._clock = clock
        self._monotonic = monotonic
        self._current: _Token | None = None
        self._lock = threading.Lock()
        self._failure: tuple[float, Exception] | None = None
        self.exchanges = 0

    def get(self) -> str:
        """A valid token; the first caller on a cold or stale cache exchanges, others wait."""
        current = self._current
        if current is not None and self._clock() < current.renew_at:
            return current.value
        with self._lock:
            current = self._current
            if current is not None and self._clock() < current.renew_at:
                return current.value
            issued_at = self._clock()
            still_valid = current is not None and issued_at < current.expires_at
            if self._failure is not None and self._monotonic() < self._failure[0]:
                if still_valid and current is not None:
                    return current.value
                raise self._failure[1]  # the exchange just failed: don't make waiters repeat it
            try:
                value = self._exchange()
            except Exception as exc:
                if getattr(exc, "transient", False) and not isinstance(exc, AuthenticationError):
                    self._failure = (self._monotonic() + FAILURE_MEMORY_S, exc)
                if still_valid and current is not None:
                    return current.value  # early renewal failed: the token still works
                raise
            self._failure = None
            self.exchanges += 1
            expires_at = token_expiry(value, issued_at=issued_at)
            margin = min(self._renew_before_s, max(expires_at - issued_at, 0.0) / 5)
            self._current = _Token(value, expires_at - margin, expires_at)
            return value

    def invalidate(self, value: str) -> None:
        """Drop ``value`` if it is still the cached token (ROIT refused it with a 401)."""
        with self._lock:
            if self._current is not None and self._current.value == value:
                self._current = None
