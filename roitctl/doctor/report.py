"""``doctor``'s report for people: one row per check, then the verdict."""

from __future__ import annotations

from roitctl import output
from roitctl.doctor.checks import Check, Status

__all__ = ["doctor_table"]

_STYLE = {Status.OK: "green", Status.FAILED: "bold red", Status.SKIPPED: "yellow"}


def doctor_table(checks: list[Check]) -> None:
    """One row per check, then the verdict."""
    table = output.table(("check", "status"), ("detail", "what to do"))
    for check in checks:
        status = f"[{_STYLE[check.status]}]{check.status.value}[/]"
        detail, fix = output.plain(check.detail), output.plain("\n".join(check.fix))
        table.add_row(output.plain(check.name), status, detail, fix)
    console = output.out()
    output.show(console, table)
    failed = sum(c.status is Status.FAILED for c in checks)
    skipped = sum(c.status is Status.SKIPPED for c in checks)
    verdict = "every check that ran passed" if not failed else f"{failed} check(s) failed"
    console.print(f"{verdict} ({skipped} skipped)", markup=False)
