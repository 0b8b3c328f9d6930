"""Call counters: per endpoint and outcome, token exchanges, and what faults did."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

__all__ = ["Stats"]


class Stats:
    """Calls per endpoint and outcome (a status code, or a fault such as ``"dropped"`` or
    ``"slow_body"``), token exchanges, latency spikes, client hang-ups during streamed answers
    and gzip-encoded answers; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            self._spikes: dict[str, int] = defaultdict(int)
            self._hangups: dict[str, int] = defaultdict(int)
            self.token_exchanges = 0
            self.gzipped = 0

    def record(self, endpoint: str, status: int | str) -> None:
        """Count one call of ``endpoint`` with that outcome."""
        with self._lock:
            self._calls[endpoint][str(status)] += 1

    def token_issued(self) -> None:
        with self._lock:
            self.token_exchanges += 1

    def spike(self, endpoint: str) -> None:
        """A call of ``endpoint`` got a latency spike."""
        with self._lock:
            self._spikes[endpoint] += 1

    def hangup(self, endpoint: str) -> None:
        """The client hung up while a streamed answer of ``endpoint`` was being sent."""
        with self._lock:
            self._hangups[endpoint] += 1

    def compressed(self) -> None:
        """One answer went out gzip-encoded (honest compression, not a bomb)."""
        with self._lock:
            self.gzipped += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": {name: dict(codes) for name, codes in self._calls.items()},
                "tokenExchanges": self.token_exchanges,
                "latencySpikes": dict(self._spikes),
                "hangups": dict(self._hangups),
                "gzipAnswers": self.gzipped,
            }
