"""The deployment checklist's count of steps is the table's: docs/deployment.md's intro (and the
README's guide table) say "N steps, M of them a `roitctl` command"; each row names who does it
from the roles the page defines, and says how to check it worked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DASH = "\N{EN DASH}"  # the page writes a range of steps with an en dash
PAGE = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
ROLES = {"project owner", "approver", "operator", "the ERP's developers", "the partner"}


def _rows() -> list[list[str]]:
    section = PAGE.split("## The checklist", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if re.match(r"\| \d+ \|", line):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def _counts() -> tuple[int, int]:
    rows = _rows()
    return len(rows), sum("`roitctl " in do for _, _, do, _ in rows)


def test_the_steps_are_numbered_in_order_and_each_is_complete() -> None:
    rows = _rows()
    assert [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
    for number, who, do, check in rows:
        people = {p.strip() for p in who.replace(", then ", ",").split(",")}
        assert people <= ROLES, f"step {number}: who is {who!r}"
        assert do and check, f"step {number} says what to do and how to check it"


def test_the_intro_states_the_tables_count() -> None:
    steps, by_roitctl = _counts()
    assert f"**{steps} steps; {by_roitctl} of them run a `roitctl` command**" in PAGE
    listed = re.search(rf"command\*\* \(([\d, {DASH}]+)\)", PAGE)
    assert listed, "the intro lists which steps run roitctl"
    numbers: set[int] = set()
    for part in listed.group(1).split(","):
        low, _, high = part.strip().partition(DASH)
        numbers |= set(range(int(low), int(high or low) + 1))
    assert numbers == {int(r[0]) for r in _rows() if "`roitctl " in r[2]}
    assert f"The other {steps - by_roitctl} are what only a person" in PAGE


def test_the_readme_states_the_same_count() -> None:
    steps, by_roitctl = _counts()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"{steps} steps, {by_roitctl} of them a `roitctl` command" in readme
