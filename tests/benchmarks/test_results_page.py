"""docs/testing-results/bench.md is written by `make bench`, never by hand: the page the command
renders, and the committed page carrying its mark, commit and machine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.report import Figure
from benchmarks.results import MARK, results_page

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[2] / "docs" / "testing-results" / "bench.md"


def _document() -> dict:
    figure = Figure("drain", "5,000 docs, vs peer", "docs/s", 300.0, 100.0, "peer", "ratio", 3.0)
    return {
        "commit": "0123456789ab",
        "elapsed_s": 123.4,
        "machine": {
            "cpu": "Some CPU",
            "nproc": 2,
            "memory_gib": 23.5,
            "system": "Linux 6",
            "python": "3.11.7",
            "load_avg_at_start": [4.06, 4.62, 4.36],
            "started": "2026-12-05T06:08:40+00:00",
        },
        "figures": [{**figure.as_dict(), "note": "per round 2.00-4.00x over 5"}],
    }


def test_the_page_names_commit_machine_load_and_holds_the_table() -> None:
    page = results_page(_document(), "head\n\ntable\n\nCold path by phase ...")
    assert page.startswith(MARK)
    assert "Commit `0123456789ab`" in page and "123.4 s" in page
    assert "nproc 2" in page and "23.5 GiB" in page and "4.06, 4.62, 4.36" in page
    assert "| drain: 5,000 docs, vs peer | 300 docs/s | 100 docs/s (peer) | 3.00x |" in page
    assert "per round 2.00-4.00x over 5" in page
    assert "```text\nCold path by phase ..." in page


def test_the_committed_page_was_written_by_make_bench() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert page.startswith(MARK), "run `make bench`: it writes this page"
    assert re.search(r"Commit `[0-9a-f]{7,}(\+changes)?`", page)
    assert re.search(r"nproc \d+", page) and "load average at the start" in page
    assert "| figure | connector |" in page
