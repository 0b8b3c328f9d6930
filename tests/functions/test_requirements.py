"""Each function's requirements.txt lists what it imports, and only that.

The import closure is read statically (every ``import`` in the function's main.py and in each
``shared`` module it reaches, lazy imports inside functions included), then mapped to the
installed distributions that provide those modules.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = sorted(p.name for p in (REPO / "functions").iterdir() if (p / "main.py").exists())
PUBSUB_FUNCTIONS = {"poll_pending", "update_status", "register_delivery"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_closure(function: str) -> set[str]:
    """Every module name imported by the function and the shared modules it reaches."""
    seen_files: set[Path] = set()
    todo = [REPO / "functions" / function / "main.py"]
    external: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        for name in _imports(path):
            if name == "shared" or name.startswith("shared."):
                base = REPO / Path(*name.split("."))
                for module in (base.with_suffix(".py"), base / "__init__.py"):
                    if module.exists():  # a module, or a package (shared/idempotency/)
                        todo.append(module)
            else:
                external.add(name)
    return external


@functools.cache
def _providers() -> dict[str, list[str]]:
    return dict(md.packages_distributions())


@functools.cache
def _files_of(dist: str) -> tuple[str, ...]:
    return tuple(str(f) for f in md.distribution(dist).files or [])


@functools.cache
def _dist_of(module: str) -> str | None:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    candidates = _providers().get(top, [])
    if top == "google":  # namespace package: find the distribution owning the submodule
        parts = module.split(".")
        for depth in (3, 2):  # the most specific match wins: google/cloud/pubsub_v1 first
            if len(parts) < depth:
                continue
            prefix = "/".join(parts[:depth]) + "/"
            for dist in candidates:
                if any(f.startswith(prefix) for f in _files_of(dist)):
                    return _norm(dist)
        return None  # e.g. `google.cloud` itself
    return _norm(candidates[0]) if candidates else None


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(function: str) -> set[str]:
    lines = (REPO / "functions" / function / "requirements.txt").read_text().splitlines()
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            names.add(_norm(re.split(r"[=<>~!\[; ]", line)[0]))
    return names


def _provided_by(requirements: set[str]) -> set[str]:
    """The requirements and everything they depend on, transitively."""
    found: set[str] = set()
    todo = list(requirements)
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(_norm(re.split(r"[=<>~!\[; (]", req)[0]))
    return found


@pytest.mark.parametrize("function", FUNCTIONS)
def test_requirements_match_imports(function: str) -> None:
    imported = {d for m in import_closure(function) if (d := _dist_of(m))}
    declared = _requirements(function)
    assert imported - _provided_by(declared) == set(), "imported but not installable"
    # every declared package is imported by the function itself (directly or via shared)
    assert declared - imported == set(), "declared but never imported"


def test_http_only_functions_never_import_pubsub() -> None:
    for function in FUNCTIONS:
        uses_pubsub = any(
            m.startswith(("google.cloud.pubsub", "google.pubsub")) for m in import_closure(function)
        )
        assert uses_pubsub == (function in PUBSUB_FUNCTIONS), function
        assert ("google-cloud-pubsub" in _requirements(function)) == (function in PUBSUB_FUNCTIONS)


def test_requirements_are_pinned_like_the_project() -> None:
    """Pins in every requirements.txt agree with each other and with the installed versions."""
    for function in FUNCTIONS:
        for line in (REPO / "functions" / function / "requirements.txt").read_text().splitlines():
            line = line.split("#")[0].strip()
            if line:
                name, _, version = line.partition("==")
                assert version, f"{function}: {line} is not pinned"
                assert md.version(name) == version, f"{function}: {name} pinned {version}"


_REPOSITORY_PACKAGES = {"sandbox", "devstack", "roitctl", "benchmarks", "scripts", "tests"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_a_function_imports_shared_only_of_this_repository(function: str) -> None:
    """The deployed package holds main.py and shared/ only (the layers inside shared/ are
    import-linter's, see pyproject.toml)."""
    tops = {name.split(".")[0] for name in _imports(REPO / "functions" / function / "main.py")}
    assert "shared" in tops
    assert not tops & _REPOSITORY_PACKAGES
