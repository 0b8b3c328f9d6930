"""The results page ``make bench`` writes (docs/testing-results/bench.md): the commit, the
machine (nproc, memory, load average at the start), the duration, the table and the
breakdowns, so that nobody pastes figures by hand and the page says what produced it."""

from __future__ import annotations

import subprocess
from typing import Any

from benchmarks.report import Figure, markdown_table
from devstack.processes.managed import REPO_ROOT

__all__ = ["MARK", "commit", "results_page"]

MARK = "<!-- written by `make bench` (benchmarks/results.py); do not edit -->"


def commit() -> str:
    """The checked-out commit, with ``+changes`` when the work tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{head}+changes" if dirty else head


def results_page(document: dict[str, Any], printed: str) -> str:
    """The page: ``printed`` is the run's plain-text summary (the breakdowns after the table)."""
    m = document["machine"]
    fields = set(Figure.__dataclass_fields__)
    figures = [Figure(**{k: v for k, v in f.items() if k in fields}) for f in document["figures"]]
    load = ", ".join(f"{x:g}" for x in m["load_avg_at_start"])
    breakdowns = printed.split("\n\n", 2)[2] if printed.count("\n\n") >= 2 else ""
    lines = [
        MARK,
        "# The last benchmarks",
        "",
        f"Commit `{document.get('commit', 'unknown')}`, run {m['started']} in "
        f"{document['elapsed_s']:g} s. Machine: {m['cpu']}, nproc {m['nproc']}, "
        f"{m['memory_gib']:g} GiB, {m['system']}, Python {m['python']}; load average at the "
        f"start {load} (1, 5, 15 min). Every ratio is against an anchor measured in the same run "
        "([Performance](../performance.md) says how, and what the figures mean).",
        "",
        markdown_table(figures),
        "",
    ]
    if breakdowns:
        lines += ["```text", breakdowns, "```", ""]
    return "\n".join(lines)
