"""Money helpers: amounts are integer cents, emitted as JSON numbers with two decimals."""

from __future__ import annotations

__all__ = ["money", "pct"]


def money(cents: int) -> float:
    """Cents as a JSON number with two decimals."""
    return round(cents / 100, 2)


def pct(base_cents: int, rate_pct: float) -> int:
    """``rate_pct`` percent of ``base_cents``, rounded to the cent."""
    return round(base_cents * rate_pct / 100)
