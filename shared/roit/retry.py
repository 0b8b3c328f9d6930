"""Retries: pure decisions (give up or wait, how long, what ROIT asked for) and the one loop.

:func:`give_up` is the only place that decides whether a failed ROIT call is tried again;
:func:`retrying` only does the waiting and the logging around it.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from shared.core import deadline
from shared.core.errors import Failure, RoitError, RoitStatusError, TokenExchangeError
from shared.core.logs import get_logger

__all__ = [
    "RetryPolicy",
    "backoff_delay",
    "give_up",
    "parse_retry_after",
    "retrying",
]

T = TypeVar("T")
log = get_logger("client")
_MAX_RETRY_AFTER_S = 600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how fast one call is retried (within its deadline)."""

    max_attempts: int = 5
    backoff_base_s: float = 0.5
    backoff_max_s: float = 8.0


def give_up(
    error: BaseException,
    *,
    attempt: int,
    max_attempts: int,
    retry_ambiguous: bool,
    delay_s: float,
    remaining_s: float,
) -> bool:
    """Whether a failed call ends here (pure).

    Only ROIT failing (5xx, 429, 408, timeouts, broken connections, unreadable answers) is
    retried, and only while attempts and time are left: the wait must end before the deadline.
    A call after which ROIT may have acted is not repeated when ``retry_ambiguous`` is false.
    A failed token exchange was retried by the exchange itself and is not repeated around it.
    """
    if not isinstance(error, RoitError) or error.failure is not Failure.UPSTREAM:
        return True
    if isinstance(error, TokenExchangeError):
        return True
    if error.ambiguous and not retry_ambiguous:
        return True
    return attempt >= max_attempts or delay_s >= remaining_s


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date).

    Returns:
        A delay in seconds between 0 and 600, or ``None`` when absent or unreadable.
    """
    headers = {k.lower(): v for k, v in headers.items()}
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return _clamp(float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return _clamp(float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):  # e.g. a 20-digit zone offset
        return None
    current = time.time() if now is None else now
    try:
        return _clamp(when.timestamp() - current)
    except (OverflowError, ValueError, OSError):
        return None


def _clamp(seconds: float) -> float | None:
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_S)


def backoff_delay(
    attempt: int,
    *,
    base_s: float = 0.5,
    cap_s: float = 8.0,
    jitter: float = 0.25,
    error: BaseException | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1 = first retry).

    Exponential (``base_s * 2**(attempt-1)``) capped at ``cap_s``, minus up to ``jitter`` of
    itself at random so that many instances do not retry in step. A ``Retry-After`` carried by
    ``error`` wins when it asks for longer.
    """
    delay: float = min(cap_s, base_s * 2.0 ** min(max(attempt - 1, 0), 60))
    delay *= 1.0 - random.uniform(0.0, jitter)
    if isinstance(error, RoitStatusError) and error.retry_after_s is not None:
        delay = max(delay, float(error.retry_after_s))
    return delay


def retrying(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    *,
    endpoint: str,
    retry_ambiguous: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``attempt`` until it succeeds or :func:`give_up` says stop (then its error is raised).

    Runs inside the current deadline (:mod:`shared.core.deadline`): no wait outlasts it.
    """
    number = 0
    while True:
        number += 1
        started = time.monotonic()
        try:
            return attempt()
        except RoitError as error:
            delay = backoff_delay(
                number, base_s=policy.backoff_base_s, cap_s=policy.backoff_max_s, error=error
            )
            fields = {
                "endpoint": endpoint,
                "attempt": number,
                "status": error.status_code if isinstance(error, RoitStatusError) else None,
                "error": type(error).__name__,
                "ms": round((time.monotonic() - started) * 1000),
            }
            if give_up(
                error,
                attempt=number,
                max_attempts=policy.max_attempts,
                retry_ambiguous=retry_ambiguous,
                delay_s=delay,
                remaining_s=deadline.remaining(),
            ):
                if error.failure is not Failure.SECRET_STORE:  # not ROIT's: reported as itself
                    log.warning("ROIT call failed", extra={"fields": fields})
                raise
            log.info(
                "ROIT call failed; retrying",
                extra={"fields": {**fields, "retryInS": round(delay, 3)}},
            )
            sleep(delay)
