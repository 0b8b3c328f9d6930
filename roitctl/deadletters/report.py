"""``dead-letters list`` and ``replay`` for people: a table per command (``--json`` prints the
reports' own ``to_json`` instead)."""

from __future__ import annotations

import json
from collections import Counter

from roitctl import output
from roitctl.deadletters.messages import Summary, age_s, message_json
from roitctl.deadletters.replay import ReplayReport

__all__ = ["list_table", "replay_table"]


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
    table = output.table(("subscription", "count", "oldest", "by error"), ("reasons",))
    for summary in summaries:
        name = output.plain(summary.subscription)
        if summary.problem:
            table.add_row(name, "?", "-", output.plain(summary.problem), "")
            continue
        count = str(summary.count) if summary.complete else f"{summary.count}+"
        errors = ", ".join(f"{code}: {n}" for code, n in _sorted(summary.by_error))
        reasons = output.plain("\n".join(summary.reasons))
        table.add_row(name, count, _age(summary), output.plain(errors) or "-", reasons)
    console = output.out()
    output.show(console, table)
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
    console = output.out()
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
        table = output.table(("message", "error"), ("why",), title="left in place")
        for entry in report.left:
            why = output.plain(entry.get("why", ""))
            table.add_row(output.plain(entry["messageId"]), output.plain(entry["error"]), why)
        output.show(console, table)
    if report.stopped:
        what = "interrupted" if report.interrupted else f"stopped: {report.stopped}"
        console.print(
            f"{what}; everything not replayed was given back: run it again to continue",
            markup=False,
        )
