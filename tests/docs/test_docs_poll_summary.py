"""The poll summary the guides show and explain is the one the code writes: the example in the
deployment guide has exactly the keys of `PollSummary.to_json()`, and the concepts guide
explains every count, every stop reason and every outcome."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.poll.summary import PollSummary, RunOutcome, Stop, TargetSummary

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DEPLOYMENT = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
CONCEPTS = (REPO / "docs" / "concepts.md").read_text(encoding="utf-8")
_JSON = re.compile(r"```json\n(.*?)\n```", re.DOTALL)


def _written() -> dict[str, object]:
    summary = PollSummary("c", [TargetSummary("DOCUMENT", None)])
    return summary.to_json()


def _shown() -> dict[str, object]:
    section = DEPLOYMENT.split("## The first poll summary", 1)[1]
    text = _JSON.search(section)
    assert text, "deployment.md: the first poll summary has no JSON example"
    return json.loads(text.group(1).replace("2f9c…", "2f9c"))


def test_the_example_summary_has_the_keys_the_code_writes() -> None:
    written, shown = _written(), _shown()
    assert shown.keys() == written.keys()
    assert shown["totals"].keys() == written["totals"].keys()  # type: ignore[attr-defined]
    target = written["targets"][0]  # type: ignore[index]
    assert all(t.keys() == target.keys() for t in shown["targets"])  # type: ignore[attr-defined]
    assert shown["outcome"] == RunOutcome.OK.value


def test_the_concepts_guide_explains_every_count_stop_and_outcome() -> None:
    section = CONCEPTS.split("### The poll run's summary", 1)[1].split("\n## ", 1)[0]
    target = _written()["targets"][0]  # type: ignore[index]
    counts = [k for k, v in target.items() if isinstance(v, int | list)]  # type: ignore[attr-defined]
    missing = [k for k in counts if f"`{k}`" not in section]
    missing += [s.value for s in Stop if f"`{s.value}`" not in section]
    missing += [o.value for o in RunOutcome if f"`{o.value}`" not in section]
    assert not missing, f"concepts.md, the poll run's summary, does not explain {missing}"
