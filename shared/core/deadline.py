"""Deadlines that nest: an invocation's, and inside it each ROIT call's.

A deadline is a point on the monotonic clock bound to the current context
(:mod:`contextvars`), so it follows the work into threads started with
:func:`contextvars.copy_context`. :func:`deadline_scope` never extends the deadline it is
nested in: a call's budget ends at the invocation's deadline if that comes first.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Iterator

__all__ = ["current", "deadline_scope", "remaining"]

_DEADLINE: contextvars.ContextVar[float] = contextvars.ContextVar("roit_deadline", default=math.inf)


@contextlib.contextmanager
def deadline_scope(seconds: float) -> Iterator[float]:
    """Work inside the block must end within ``seconds`` (and within any enclosing deadline).

    Yields:
        The deadline, on the :func:`time.monotonic` clock.
    """
    at = min(time.monotonic() + seconds, _DEADLINE.get())
    token = _DEADLINE.set(at)
    try:
        yield at
    finally:
        _DEADLINE.reset(token)


def current() -> float:
    """The innermost deadline on the monotonic clock (``inf`` outside any scope)."""
    return _DEADLINE.get()


def remaining() -> float:
    """Seconds left before the innermost deadline (negative once it passed; ``inf`` if none)."""
    return _DEADLINE.get() - time.monotonic()
