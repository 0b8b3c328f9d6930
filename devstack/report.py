"""The demo's and the soak's reconciliation: what should have happened against what the
sandbox and Pub/Sub say did happen, printed as one table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Check", "Progress", "reconciled", "render"]


@dataclass(frozen=True)
class Check:
    """One reconciled number: `expected` from the demo's own bookkeeping, `observed` from
    `source` (the sandbox's inspection API, a function's answer or a subscription).

    `at_most`: the check holds when `observed` <= `expected` (a bound, e.g. memory growth);
    `info`: a number shown for the record, checked against nothing (`expected` is not shown);
    `detail`: what to look at when the check fails (e.g. a few request ids), shown under it;
    `id`: a stable name for the row (`pending.never_received`), for tests and tools: the
    label is English for the reader and may be reworded.
    """

    section: str
    label: str
    expected: int
    observed: int
    source: str
    at_most: bool = False
    info: bool = False
    detail: str = ""
    id: str = ""

    @property
    def ok(self) -> bool:
        """Whether the two agree (an info row always does)."""
        if self.info:
            return True
        return self.observed <= self.expected if self.at_most else self.expected == self.observed

    @property
    def shown_expected(self) -> str:
        if self.info:
            return "-"
        return f"<= {self.expected}" if self.at_most else str(self.expected)


def reconciled(checks: Iterable[Check]) -> bool:
    """True when every check agrees (and there is at least one)."""
    items = list(checks)
    return bool(items) and all(c.ok for c in items)


def render(checks: Iterable[Check]) -> str:
    """A plain-text table, grouped by section, one row per check."""
    items = list(checks)
    headers = ("", "expected", "observed", "source", "")
    rows = [(f"  {c.label}", c.shown_expected, str(c.observed), c.source, _mark(c)) for c in items]
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells: tuple[str, ...]) -> str:
        first, *numbers, source, mark = cells
        parts = [first.ljust(widths[0])]
        parts += [n.rjust(w) for n, w in zip(numbers, widths[1:3], strict=True)]
        parts += [source.ljust(widths[3]), mark]
        return "  ".join(parts).rstrip()

    out = [line(headers), "-" * (sum(widths) + 2 * (len(widths) - 1))]
    section = None
    for check, row in zip(items, rows, strict=True):
        if check.section != section:
            section = check.section
            out.append(section)
        out.append(line(row))
        if not check.ok and check.detail:
            out.append(f"      {check.detail}")
    return "\n".join(out)


def _mark(check: Check) -> str:
    if check.info:
        return ""
    return "ok" if check.ok else "MISMATCH"


class Progress:
    """Prints timestamped progress lines: `[  3.2s] message`."""

    def __init__(self, write: Callable[[str], None] = print) -> None:
        self._write = write
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        self._write(f"[{time.monotonic() - self._started:6.1f}s] {message}")
