"""Figures, the table they print as, the JSON they are written to, and the machine they ran on.

A :class:`Figure` is one line of the table: the connector's value, the anchor's value measured
in the same run, the result (a ratio, a difference or a count, by ``kind``) and the goal.
"""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import psutil

__all__ = ["Figure", "machine", "markdown_table", "text_table", "write_json"]

Kind = Literal["ratio", "diff", "growth", "count", "info"]


@dataclass
class Figure:
    """One figure: connector against anchor, and whether the goal is met.

    ``goal`` is the bound on ``result`` (``goal_op`` ``<=`` or ``>=``); ``None`` for a figure
    that only informs.
    """

    section: str
    name: str
    unit: str
    connector: float | None
    anchor: float | None
    anchor_name: str
    kind: Kind
    result: float | None
    goal: float | None = None
    goal_op: Literal["<=", ">="] = "<="
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.goal is None or self.result is None or math.isnan(self.result):
            return None
        return self.result <= self.goal if self.goal_op == "<=" else self.result >= self.goal

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}


def _num(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    if magnitude >= 100 or float(value).is_integer():
        text = f"{value:,.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def _result(figure: Figure) -> str:
    if figure.result is None:
        return "-"
    if figure.kind == "ratio":
        return f"{figure.result:.2f}x"
    if figure.kind == "growth":
        return f"{figure.result:+.1f} %"
    if figure.kind in ("diff", "info"):
        return _num(figure.result, figure.unit)
    return _num(figure.result)


def _goal(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    suffix = {"ratio": "x", "growth": " %", "diff": f" {figure.unit}", "count": ""}.get(
        figure.kind, ""
    )
    return f"{figure.goal_op} {figure.goal:g}{suffix}"


def _met(figure: Figure) -> str:
    return {True: "yes", False: "NO", None: ""}[figure.met]


def _rows(figures: list[Figure]) -> list[list[str]]:
    rows = []
    for f in figures:
        rows.append(
            [
                f"{f.section}: {f.name}",
                _num(f.connector, f.unit),
                f"{_num(f.anchor, f.unit)} ({f.anchor_name})" if f.anchor_name else "",
                _result(f),
                _goal(f),
                _met(f),
                f.note,
            ]
        )
    return rows


HEADER = ["figure", "connector", "anchor (same run)", "result", "goal", "met", "note"]


def text_table(figures: list[Figure]) -> str:
    """The table as plain text, columns aligned."""
    rows = [HEADER, *_rows(figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(figures: list[Figure]) -> str:
    """The table in Markdown (for the README)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in _rows(figures):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU, cores, memory, Python, load when the run started."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "nproc": len(os.sched_getaffinity(0)),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=_default) + "\n")


def _default(value: Any) -> Any:
    if isinstance(value, Figure):
        return value.as_dict()
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)
