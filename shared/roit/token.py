"""One ROIT token per instance, shared by every concurrent request, renewed ahead of expiry.

While the token is still valid, renewing it early never holds anyone up: one caller renews,
every other caller keeps using the valid token. Only callers with no valid token at all wait
for the exchange, and never past their own deadline.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.core import deadline
from shared.core.errors import Failure, RoitError, RoitTimeoutError
from shared.core.logs import get_logger, register_secret

__all__ = ["DOCUMENTED_LIFETIME_S", "FAILURE_MEMORY_S", "Issued", "TokenManager", "token_expiry"]

log = get_logger("token")

DOCUMENTED_LIFETIME_S = 8 * 3600.0
"""ROIT's Introduction page: a token is valid for 8 hours after it is generated."""

FAILURE_MEMORY_S = 2.0
"""After an exchange failed because ROIT's token endpoint was failing, callers queued behind
it fail at once for this long instead of each running a whole exchange (and its retries)."""


@dataclass(frozen=True)
class Issued:
    """What a token exchange produced: the token, and the lifetime its answer stated."""

    value: str
    expires_in_s: float | None = None


def token_expiry(token: str, *, issued_at: float, expires_in_s: float | None = None) -> float:
    """When ``token`` expires (epoch seconds): its JWT ``exp`` claim, else the lifetime the
    token answer stated (``expires_in``), else ROIT's documented 8 h after issue."""
    exp = _claims(token).get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            seconds = float(exp)
        except OverflowError:  # an integer too large for a float: not a usable time
            seconds = math.nan
        if math.isfinite(seconds):
            return seconds
    if expires_in_s is not None and expires_in_s > 0:
        return issued_at + expires_in_s
    return issued_at + DOCUMENTED_LIFETIME_S


def _claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without verifying it (the connector only wants ``exp``; ROIT
    verifies its own tokens). ``{}`` for anything that is not a JWT.

    Read by hand rather than with PyJWT: the claims are base64url JSON, and importing PyJWT
    costs every cold start 20-30 ms (it loads ``cryptography``), measured by ``make bench``.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return {}
    return claims if isinstance(claims, dict) else {}


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float
    expires_at: float


class TokenManager:
    """Caches a token and renews it once, for all threads, when it is about to expire.

    Args:
        exchange: performs the token exchange (may raise a :class:`RoitError`).
        renew_before_s: renew this long before expiry (at most a fifth of the lifetime, so a
            short-lived token is still used for most of its life).
        clock: epoch-seconds clock, replaceable in tests.
        monotonic: the clock failures are remembered on.
    """

    def __init__(
        self,
        exchange: Callable[[], Issued],
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
        self._failure: tuple[float, RoitError] | None = None
        self.exchanges = 0

    def get(self) -> str:
        """A valid token.

        Raises:
            RoitError: the exchange failed (or failed within the last
                :data:`FAILURE_MEMORY_S`) and no valid token is left; ``RoitTimeoutError``
                (never ambiguous) when another caller's exchange outlasted this one's deadline.
        """
        current = self._current
        now = self._clock()
        if current is not None and now < current.renew_at:
            return current.value
        if current is not None and now < current.expires_at:
            # Renewal is due but the token still works: renew if nobody else is, else use it.
            if not self._lock.acquire(blocking=False):
                return current.value
        elif not self._lock.acquire(timeout=max(0.0, min(deadline.remaining(), 3600.0))):
            raise RoitTimeoutError(
                "waited for the token exchange until the deadline", ambiguous=False
            )
        try:
            return self._renew()
        finally:
            self._lock.release()

    def _renew(self) -> str:
        current = self._current
        issued_at = self._clock()
        if current is not None and issued_at < current.renew_at:
            return current.value  # renewed by the caller we waited for
        still_valid = current is not None and issued_at < current.expires_at
        failure = self._failure
        if failure is not None and self._monotonic() < failure[0]:
            if still_valid and current is not None:
                return current.value
            raise failure[1]
        try:
            issued = self._exchange()
        except RoitError as exc:
            # Kept: ROIT failing while this caller still had time. Not kept: a refusal (a fix
            # works at once), nor a failure this caller's own deadline caused (cut short).
            if exc.failure is Failure.UPSTREAM and deadline.remaining() > 0:
                self._failure = (self._monotonic() + FAILURE_MEMORY_S, exc)
            if still_valid and current is not None:
                log.warning(
                    "early token renewal failed; the current token is still valid",
                    extra={"fields": {"error": type(exc).__name__}},
                )
                return current.value
            raise
        self._failure = None
        self.exchanges += 1
        register_secret(issued.value)
        expires_at = token_expiry(
            issued.value, issued_at=issued_at, expires_in_s=issued.expires_in_s
        )
        margin = min(self._renew_before_s, max(expires_at - issued_at, 0.0) / 5)
        self._current = _Token(issued.value, expires_at - margin, expires_at)
        return issued.value

    def invalidate(self, value: str) -> None:
        """Drop ``value`` if it is still the cached token (ROIT refused it with a 401).

        Takes no lock, so it never waits on an exchange in progress; at worst a token swapped
        in at the same instant is dropped too, which costs one more exchange.
        """
        current = self._current
        if current is not None and current.value == value:
            self._current = None
