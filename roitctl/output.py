"""What people see: tables (``rich``) on stdout, notes and progress on stderr, or one JSON
document with ``--json``. Nothing here prints a secret, a token or a message body, except
``--show``, which is asked for."""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["Progress", "emit", "note", "out", "plain", "show", "table"]

_UNBOUNDED = 100_000
"""The width of stdout when it is not a terminal (a pipe, ``make demo``, a CI log): a table
is as wide as its content, so no name is ever broken across lines."""


def out() -> Console:
    """The console tables go to: stdout, as wide as the terminal, or unbounded off one."""
    console = Console(soft_wrap=False, highlight=False)
    if console.is_terminal:
        return console
    return Console(soft_wrap=False, highlight=False, width=_UNBOUNDED)


def table(names: tuple[str, ...], text: tuple[str, ...], *, title: str | None = None) -> Table:
    """A table: first the ``names`` columns (names, ids, codes: kept on one line, whole), then
    the ``text`` columns (prose: wrapped between words). Print it with :func:`show`."""
    found = Table(title=title)
    for column in names:
        found.add_column(column, no_wrap=True, overflow="fold")
    for column in text:
        found.add_column(column, overflow="fold")
    return found


def show(console: Console, found: Table) -> None:
    """Print ``found``: its names whole whenever the width allows, and always off a terminal
    (:func:`out` is unbounded there); on a terminal too narrow even for the names, every
    column wraps rather than hide what does not fit."""
    unbounded = console.options.update_width(_UNBOUNDED)
    if Measurement.get(console, unbounded, found).minimum > console.width:
        for column in found.columns:
            column.no_wrap = False
    console.print(found)


def plain(text: str) -> str:
    """``text`` shown as it is (no rich markup)."""
    return escape(text)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def emit(doc: Any) -> None:
    """One JSON document on stdout."""
    print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


def note(text: str) -> None:
    """A remark on stderr."""
    _err().print(text, markup=False)


class Progress:
    """A live line on stderr while replaying (only on a terminal, never with ``--json``)."""

    def __init__(self, *, enabled: bool) -> None:
        console = _err()
        self._bar: RichProgress | None = None
        if enabled and console.is_terminal:
            self._bar = RichProgress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
            self._task = self._bar.add_task("replaying", total=None)

    def update(self, replayed: int, seen: int) -> None:
        """Show the counts so far."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"replayed {replayed} of {seen} read")

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
