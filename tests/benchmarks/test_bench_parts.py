"""The benchmark's own pieces that need no process: percentiles, figures, tables, importtime."""

from __future__ import annotations

import math

import pytest

from benchmarks.coldpath import PHASE_MARK, imports_by_phase
from benchmarks.measure import percentile
from benchmarks.report import Figure, markdown_table, text_table

pytestmark = pytest.mark.unit


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize(
    ("result", "goal", "op", "met"),
    [
        (1.2, 1.4, "<=", True),
        (1.5, 1.4, "<=", False),
        (0.9, 0.8, ">=", True),
        (0.5, None, "<=", None),
    ],
)
def test_a_figure_knows_whether_its_goal_is_met(result, goal, op, met) -> None:
    figure = Figure("s", "n", "ms", 2.0, 1.0, "anchor", "ratio", result, goal, op)
    assert figure.met is met
    assert figure.as_dict()["met"] is met


def test_tables_show_connector_anchor_result_goal() -> None:
    figures = [
        Figure("cold start", "get_attachments", "ms", 600.0, 300.0, "hello", "ratio", 2.0, 1.4),
        Figure("tokens/secrets", "x token exchanges", "", 1, None, "", "count", 1, 1),
    ]
    text = text_table(figures)
    assert "cold start: get_attachments" in text and "2.00x" in text and "NO" in text
    markdown = markdown_table(figures).splitlines()
    assert markdown[0].startswith("| figure |") and len(markdown) == 4
    assert "| yes |" in markdown[3]


def test_importtime_is_split_at_the_phase_marks() -> None:
    stderr = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       100 |        100 | site",
            f"{PHASE_MARK}create_app (main.py)",
            "import time:      2000 |       2000 |     pydantic_core",
            "import time:      1000 |       3000 |   pydantic",
            "import time:       500 |        500 |   google.cloud.secretmanager_v1.types",
            "import time:       700 |       4200 | shared.entry.runtime",
        ]
    )
    phases = imports_by_phase(stderr)
    assert phases["interpreter start-up"]["total_ms"] == 0.1
    main = phases["create_app (main.py)"]
    assert main["total_ms"] == 4.2
    assert main["packages_ms"]["pydantic_core"] == 2.0
    assert main["packages_ms"]["google.cloud.secretmanager_v1"] == 0.5
    assert main["top_level_imports_ms"] == {"shared.entry.runtime": 4.2}
