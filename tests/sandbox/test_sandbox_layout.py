"""The sandbox's layout holds: no import cycle, the seed data fenced off, routes that see a
context and never the app (read from the source; runtime and TYPE_CHECKING imports count)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

PACKAGE = Path(__file__).resolve().parents[2] / "sandbox"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def _imports(name: str) -> set[str]:
    """The sandbox modules ``name`` imports (``from a import b`` may import module ``a.b``)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle_through(start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one."""
    stack, seen = [(start, [start])], set()
    while stack:
        name, path = stack.pop()
        for target in GRAPH[name]:
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_the_graph_is_read() -> None:
    # guards the checks below against passing on an empty graph
    assert "sandbox.routes.api" in GRAPH["sandbox.routes.table"]
    assert "sandbox.context" in GRAPH["sandbox.routes.api"]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_cycle(name: str) -> None:
    assert _cycle_through(name) is None


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("sandbox.seed")))
def test_the_seed_data_imports_nothing_else_of_the_sandbox(name: str) -> None:
    outside = {t for t in GRAPH[name] if not t.startswith("sandbox.seed")}
    assert not outside, f"{name} imports {sorted(outside)}"


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n in MODULES if n.startswith(("sandbox.routes", "sandbox.faults", "sandbox.state"))
    ),
)
def test_routes_faults_and_state_never_see_the_app_or_the_server(name: str) -> None:
    assert not GRAPH[name] & {"sandbox", "sandbox.app", "sandbox.server"}
