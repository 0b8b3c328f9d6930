"""The repository stands alone: no file points outside it, and every relative link resolves.

A user clones this repository and nothing else, so no tracked file may name a path of a
development machine or a sibling folder of the clone, and every relative Markdown link must land
on a file inside the repository.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]

# Folders that are never part of the repository: tool venvs, build output, caches, VCS data.
_SKIPPED_PARTS = {
    ".git",
    "build",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".benchmarks",
}
_SKIPPED_PREFIXES = (".venv", ".terraform")

# Written in pieces so that this file does not match itself.
_OUTSIDE = [
    re.compile(r"\.\./" + "shared"),  # the sibling folder the project once read
    re.compile("/" + r"work/"),  # the development machine's checkout root
    re.compile(r"(?<![\w.])/" + r"(?:root|home/\w+|Users/\w+)/"),  # home folders
    re.compile(r"[A-Za-z]:\\" + r"Users\\"),
]
_MARKDOWN_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def _repository_files() -> list[Path]:
    """The tracked files (git ls-files), or every file outside generated folders without git."""
    git = shutil.which("git")
    if git and (REPO / ".git").exists():
        listed = subprocess.run(
            [git, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        return [REPO / name for name in listed.split("\0") if name and (REPO / name).is_file()]
    files = []
    for path in REPO.rglob("*"):
        relative = path.relative_to(REPO)
        if any(
            part in _SKIPPED_PARTS or part.startswith(_SKIPPED_PREFIXES) for part in relative.parts
        ):
            continue
        if any(part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file():
            files.append(path)
    return files


def _text(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def test_no_file_points_outside_the_repository() -> None:
    found = []
    for path in _repository_files():
        text = _text(path)
        if text is None or path == Path(__file__).resolve():
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if any(pattern.search(line) for pattern in _OUTSIDE):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert found == [], "paths outside the repository:\n" + "\n".join(found)


def test_relative_markdown_links_resolve_inside_the_repository() -> None:
    broken = []
    documents = [p for p in _repository_files() if p.suffix == ".md"]
    assert len(documents) >= 5, "no Markdown documents found"
    for path in documents:
        for target in _MARKDOWN_LINK.findall(path.read_text(encoding="utf-8")):
            resolved = (path.parent / target.split("#", 1)[0]).resolve()
            if not resolved.is_relative_to(REPO) or not resolved.exists():
                broken.append(f"{path.relative_to(REPO)}: {target}")
    assert broken == [], "links that leave the repository or lead nowhere:\n" + "\n".join(broken)


@pytest.mark.parametrize(
    "line",
    [
        "see `../" + "shared/roit-api/CONTRACT.md`",
        "(`/" + "work/shared/roit-api/CONTRACT.md`)",
        "cd /" + "home/alice/project",
        "open /" + "Users/bob/src",
    ],
)
def test_the_check_recognises_outside_paths(line: str) -> None:
    assert any(pattern.search(line) for pattern in _OUTSIDE)


def test_the_check_allows_paths_inside_the_repository() -> None:
    for line in ['"${path.root}/../build/functions"', "see ../docs/local.md", "/tmp/x", "/proc/1"]:
        assert not any(pattern.search(line) for pattern in _OUTSIDE), line
