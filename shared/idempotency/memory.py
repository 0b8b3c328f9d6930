"""The per-instance store: the default when no shared store is configured.

Effects then happen once per instance only: a replay or a redelivery that reaches another
instance (or this one after a restart) is not recognised. Bounded: expired records are
dropped first, then the oldest.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from shared.idempotency.base import IdempotencyStore
from shared.idempotency.records import DELETE, KEEP, Change, Record

__all__ = ["MemoryStore"]

T = TypeVar("T")


class MemoryStore(IdempotencyStore):
    """Records in this process's memory, at most ``max_records`` of them."""

    shared = False
    kind = "memory"

    def __init__(
        self, *, max_records: int = 100_000, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(clock=clock)
        self._max = max_records
        self._records: OrderedDict[str, Record] = OrderedDict()
        self._lock = threading.Lock()

    def _run(self, key: str, change: Change[T]) -> T:
        with self._lock:
            now = self.now()
            write, result = change(self._records.get(key), now)
            if write is DELETE:
                self._records.pop(key, None)
            elif write is not KEEP:
                assert isinstance(write, dict)
                self._records[key] = write
                self._records.move_to_end(key)
                self._prune(now)
            return result

    def _prune(self, now: object) -> None:
        if len(self._records) <= self._max:
            return
        for key in [k for k, r in self._records.items() if r["expires_at"] <= now]:
            del self._records[key]
        while len(self._records) > self._max:
            self._records.popitem(last=False)

    def __len__(self) -> int:
        return len(self._records)
