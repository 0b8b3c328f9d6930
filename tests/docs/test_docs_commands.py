"""Every command the guides tell a reader to type exists: `make` targets, `roitctl` commands
and their options, `python -m devstack` commands and their options.

Commands are read from code only (inline code spans and fenced blocks of README.md and
docs/*.md), one segment at a time: a span, or a line of a block up to its `#` comment. In a
segment, the words after `roitctl` name the command (a group then its subcommand) and every
`--option` after them must be that command's; the same for `python -m devstack`.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from devstack import cli as devstack_cli
from roitctl.cli import app as roitctl_app

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"`([^`\n]+)`")
_MAKE = re.compile(r"(?:^|[\s;&|(])make\s+([A-Za-z][\w-]*)(?=\s|$)")
_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")
_TARGET = re.compile(r"^([A-Za-z][\w-]*)\s*:(?!=)", re.MULTILINE)


def _segments() -> Iterator[tuple[str, str]]:
    """(page, code) for every inline code span and every line of every fenced block."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in _FENCE.findall(text):
            for line in block.splitlines():
                yield page.name, re.split(r"\s#\s", line, maxsplit=1)[0]
        for span in _SPAN.findall(_FENCE.sub("", text)):
            yield page.name, span.replace("\\|", "|")


SEGMENTS = list(_segments())


def _after(segment: str, marker: re.Pattern[str]) -> list[tuple[list[str], list[str]]]:
    """Each invocation in `segment`: the words right after `marker` (the command path) and
    the --options that follow, up to a pipe, `;`, `&&` or the end."""
    found = []
    for match in marker.finditer(segment):
        rest = re.split(r"\s(?:\||;|&&)\s", segment[match.end() :], maxsplit=1)[0]
        words = re.findall(r"[a-z][a-z-]*(?=\s|$)", rest.split("--", 1)[0])
        found.append((words, _OPTION.findall(rest)))
    return found


def test_the_guides_name_commands() -> None:
    text = " ".join(code for _, code in SEGMENTS)
    assert "make demo" in text and "roitctl dead-letters replay" in text
    assert "-m devstack sign" in text


def test_every_make_target_named_exists() -> None:
    targets = set(_TARGET.findall((REPO / "Makefile").read_text(encoding="utf-8")))
    named = {(page, t) for page, code in SEGMENTS for t in _MAKE.findall(code)}
    assert {t for _, t in named} >= {"demo", "test", "docs", "docs-gen", "soak", "bench"}
    missing = sorted((page, t) for page, t in named if t not in targets)
    assert not missing, f"make targets the guides name but the Makefile lacks: {missing}"


def _roitctl_command(words: list[str]) -> Any:
    """The click command `roitctl WORDS…` runs (typer's groups have `commands`)."""
    command: Any = typer.main.get_command(roitctl_app)
    for word in words:
        if not hasattr(command, "commands"):
            break
        sub = command.commands.get(word)
        assert sub is not None, f"roitctl has no command {word!r} (under {command.name})"
        command = sub
    assert not hasattr(command, "commands"), f"roitctl {' '.join(words)}: a group, not a command"
    return command


def _options(command: Any) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts)} | {"--help", "--json"}


def test_every_roitctl_command_and_option_named_exists() -> None:
    marker = re.compile(r"(?<![\w-])roitctl(?=\s)")
    calls = [(page, c) for page, code in SEGMENTS for c in _after(code, marker)]
    assert len(calls) >= 10
    for page, (words, options) in calls:
        if not words:  # `roitctl --version` / `--help`
            top = typer.main.get_command(roitctl_app)
            assert set(options) <= _options(top) | {"--version"}, (page, options)
            continue
        command = _roitctl_command(words)
        unknown = set(options) - _options(command)
        assert not unknown, f"{page}: roitctl {' '.join(words)} has no {sorted(unknown)}"


def _devstack_help(*argv: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
        devstack_cli.main([*argv, "--help"])
    assert stop.value.code == 0
    return out.getvalue()


def test_every_devstack_command_and_option_named_exists() -> None:
    usage = _devstack_help()
    commands = set(re.search(r"\{([\w,-]+)\}", usage).group(1).split(","))  # type: ignore[union-attr]
    assert {"up", "demo", "soak", "sign", "publish", "pull"} <= commands
    marker = re.compile(r"-m devstack(?=\s)")
    calls = [(page, c) for page, code in SEGMENTS for c in _after(code, marker)]
    assert len(calls) >= 8
    helps: dict[str, set[str]] = {}
    for page, (words, options) in calls:
        if not words:
            continue
        name = words[0]
        assert name in commands, f"{page}: python -m devstack has no command {name!r}"
        if name not in helps:
            helps[name] = set(_OPTION.findall(_devstack_help(name)))
        unknown = set(options) - helps[name]
        assert not unknown, f"{page}: python -m devstack {name} has no {sorted(unknown)}"


def test_every_setting_named_exists() -> None:
    """A `ROIT_*` variable named anywhere in the guides is a row of the generated reference
    (`ROIT_TOKEN_*` stands for several; the system tier's variable is the tests' own)."""
    reference = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    settings = set(re.findall(r"^\| `(ROIT_[A-Z0-9_]+)` \|", reference, re.MULTILINE))
    assert len(settings) >= 30
    named = {
        (page.name, name)
        for page in PAGES
        for name in re.findall(r"\bROIT_[A-Z0-9_]*[A-Z0-9](?![A-Za-z0-9_*.])", page.read_text())
    }
    unknown = sorted(
        (page, name)
        for page, name in named
        if name not in settings and name != "ROIT_SYSTEM_FUNCTION_URIS"
    )
    assert not unknown, f"settings the guides name but the code does not read: {unknown}"
