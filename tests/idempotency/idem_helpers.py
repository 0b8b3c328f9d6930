"""Helpers of the idempotency tests (imported as ``idem_helpers``, like ``e2e_helpers``)."""

from __future__ import annotations


class Clock:
    """A settable epoch clock."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
