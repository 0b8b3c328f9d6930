"""The error codes the guides give callers are those `shared/entry/failures.py` answers: every
code in the webhook guide's answer table and in the failure table's HTTP column is one
`http_answer` can give, and the webhook guide names every code `reprocess` can receive."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
CODES = set(
    re.findall(
        r'HttpAnswer\(\s*[^,]+,\s*"([a-z_]+)"',
        (REPO / "shared" / "entry" / "failures.py").read_text(encoding="utf-8"),
    )
)
# reprocess publishes nothing; in_progress (busy) is a push message applied on another instance
NOT_FOR_REPROCESS = {"pubsub_unavailable", "in_progress"}


def _column(page: str, heading: str, column: int) -> set[str]:
    """The codes in one column of the first table under ``heading``."""
    text = (REPO / "docs" / page).read_text(encoding="utf-8")
    rows = []
    for line in text.split(heading, 1)[1].splitlines():
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    codes: set[str] = set()
    for row in rows[2:]:
        cells = row.replace("\\|", "/").split(" | ")
        codes |= _codes(cells[column])
    return codes


def _codes(cells: str) -> set[str]:
    return set(re.findall(r"`([a-z]+(?:_[a-z]+)+|[a-z]+)`", cells))


def test_the_code_answers_codes() -> None:
    assert {"invalid_input", "unauthenticated", "misconfigured", "upstream_timeout"} <= CODES


def test_the_webhook_guide_lists_every_answer_reprocess_can_give() -> None:
    shown = _column("webhook.md", "## What each answer means", 1)
    assert shown <= CODES, f"webhook.md names codes the code never answers: {shown - CODES}"
    missing = CODES - NOT_FOR_REPROCESS - shown
    assert not missing, f"webhook.md does not say what these answers mean: {missing}"


def test_the_failure_tables_http_column_names_real_codes() -> None:
    http = _column("concepts.md", "## The failure table", 2)
    assert http, "concepts.md: no code in the failure table's HTTP column"
    assert http <= CODES, f"the failure table names HTTP codes never answered: {http - CODES}"
