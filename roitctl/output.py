"""What people see: tables (``rich``) on stdout, notes and progress on stderr, or one JSON
document with ``--json``. Nothing here prints a secret, a token or a message body, except
``--show``, which is asked for."""

from __future__ import annotations

import json
from collections import Counter
from types import TracebackType
from typing import Any, Self

from rich.console import Console
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from roitctl.checks import Check, Status
from roitctl.deadletters import Summary, age_s, message_json
from roitctl.replay import ReplayReport

__all__ = ["Progress", "doctor_table", "emit", "list_table", "note", "replay_table"]

_STYLE = {Status.OK: "green", Status.FAILED: "bold red", Status.SKIPPED: "yellow"}


def _out() -> Console:
    return Console(soft_wrap=False, highlight=False)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def emit(doc: Any) -> None:
    """One JSON document on stdout."""
    print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))


def note(text: str) -> None:
    """A remark on stderr."""
    _err().print(text, markup=False)


def doctor_table(checks: list[Check]) -> None:
    """One row per check, then the verdict."""
    table = Table(show_lines=False, expand=False)
    for column in ("check", "status", "detail", "what to do"):
        table.add_column(column, overflow="fold")
    for check in checks:
        status = f"[{_STYLE[check.status]}]{check.status.value}[/]"
        table.add_row(check.name, status, _plain(check.detail), _plain("\n".join(check.fix)))
    console = _out()
    console.print(table)
    failed = sum(c.status is Status.FAILED for c in checks)
    skipped = sum(c.status is Status.SKIPPED for c in checks)
    verdict = "every check that ran passed" if not failed else f"{failed} check(s) failed"
    console.print(f"{verdict} ({skipped} skipped)", markup=False)


def _plain(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _age(summary: Summary) -> str:
    if summary.oldest is None:
        return "-"
    seconds = age_s(summary.oldest)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def list_table(summaries: list[Summary], *, show: bool) -> None:
    """One row per subscription; every message in full only with ``show``."""
    table = Table()
    for column in ("subscription", "count", "oldest", "by error", "reasons"):
        table.add_column(column, overflow="fold")
    for summary in summaries:
        if summary.problem:
            table.add_row(summary.subscription, "?", "-", _plain(summary.problem), "")
            continue
        count = str(summary.count) if summary.complete else f"{summary.count}+"
        errors = ", ".join(f"{code}: {n}" for code, n in _sorted(summary.by_error))
        reasons = "\n".join(summary.reasons)
        table.add_row(summary.subscription, count, _age(summary), errors or "-", _plain(reasons))
    console = _out()
    console.print(table)
    if not show:
        return
    for summary in summaries:
        for message in summary.messages:
            console.print(f"--- {summary.subscription} {message.message_id}", markup=False)
            console.print(
                json.dumps(message_json(message), indent=2, ensure_ascii=False), markup=False
            )


def _sorted(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def replay_table(report: ReplayReport) -> None:
    """What was replayed where, what was left in place and why."""
    console = _out()
    verb = "would replay" if report.dry_run else "replayed"
    by_topic = Counter(entry.get("topic", "?") for entry in report.replayed)
    listing = ", ".join(f"{n} to {topic}" for topic, n in _sorted(by_topic)) or "nothing"
    line = (
        f"{report.subscription}: {verb} {len(report.replayed)} ({listing}); "
        f"{len(report.left)} left in place; {report.not_selected} not selected"
    )
    if report.arrived:
        line += f"; {report.arrived} dead-lettered during the run (left for the next run)"
    console.print(line, markup=False)
    if report.left:
        table = Table(title="left in place")
        for column in ("message", "error", "why"):
            table.add_column(column, overflow="fold")
        for entry in report.left:
            table.add_row(entry["messageId"], entry["error"], _plain(entry.get("why", "")))
        console.print(table)
    if report.stopped:
        what = "interrupted" if report.interrupted else f"stopped: {report.stopped}"
        console.print(
            f"{what}; everything not replayed was given back: run it again to continue",
            markup=False,
        )


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
