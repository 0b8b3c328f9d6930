"""One lazily built value per instance, built once however many threads ask at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["Lazy"]


class Lazy(Generic[T]):
    """Builds ``factory()`` on the first :meth:`get` and returns that value ever after.

    A failed build is not remembered: the next call tries again.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._value: T | None = None
        self._built = False
        self._lock = threading.Lock()

    def get(self) -> T:
        """The value, building it first if no call has yet."""
        if not self._built:
            with self._lock:
                if not self._built:
                    self._value = self._factory()
                    self._built = True
        return self._value  # type: ignore[return-value]
