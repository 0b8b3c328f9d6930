"""Every test file belongs to one tier, said at module level (``pytestmark``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]
TIERS = {"unit", "integration", "system", "fuzz"}


def _tiers(path: Path) -> set[str]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            return {n.attr for n in ast.walk(node.value) if isinstance(n, ast.Attribute)} & TIERS
    return set()


def test_every_test_file_has_a_tier_marker_at_module_level() -> None:
    untiered = [
        str(p.relative_to(TESTS)) for p in sorted(TESTS.rglob("test_*.py")) if not _tiers(p)
    ]
    assert untiered == [], "add pytestmark = pytest.mark.unit (or .integration) to these"


def test_every_file_under_tests_unit_is_in_the_unit_tier() -> None:
    for path in sorted((TESTS / "unit").glob("test_*.py")):
        assert _tiers(path) == {"unit"}, path.name
