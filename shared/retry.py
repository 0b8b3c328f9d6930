"""Retries as small pure functions: what to retry, how long to wait, what ROIT asked for."""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping

from shared.errors import RoitError, RoitStatusError

__all__ = ["backoff_delay", "parse_retry_after", "should_retry"]

_MAX_RETRY_AFTER_S = 600.0


def should_retry(error: BaseException) -> bool:
    """Whether a failed call may succeed if made again: transient errors only."""
    return isinstance(error, RoitError) and error.transient


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date).

    Returns:
        A delay in seconds between 0 and 600, or ``None`` when absent or unreadable.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms is not None:
        try:
            return _clamp(float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return _clamp(float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return _clamp(when.timestamp() - current)


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
    delay: float = min(cap_s, base_s * 2.0 ** max(attempt - 1, 0))
    delay *= 1.0 - random.uniform(0.0, jitter)
    if isinstance(error, RoitStatusError) and error.retry_after_s is not None:
        delay = max(delay, float(error.retry_after_s))
    return delay
