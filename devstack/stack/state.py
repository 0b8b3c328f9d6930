"""Each running stack's state, so that stacks of the same user never touch each other.

`python -m devstack up [--name NAME]` writes `<state dir>/<NAME>.json` (URLs, project, the
generated local webhook secret, its pid; mode 0600, in a directory of mode 0700) and removes
it on exit. `sign`, `publish` and `pull` find the stack they are pointed at (`--stack NAME` or
`$DEVSTACK_STACK`), or the only one running, and say which they used. The state directory is
`$DEVSTACK_STATE_DIR`, else `roit-devstack-<uid>` in `$XDG_RUNTIME_DIR` or the temp dir. A
file whose stack is gone (its pid no longer runs) is ignored and removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "STACK_ENV",
    "STATE_DIR_ENV",
    "StackNotFoundError",
    "check_name",
    "default_name",
    "find_stack",
    "read_state",
    "remove_state",
    "running_stacks",
    "state_dir",
    "write_state",
]

STATE_DIR_ENV = "DEVSTACK_STATE_DIR"
STACK_ENV = "DEVSTACK_STACK"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")


class StackNotFoundError(RuntimeError):
    """No stack, not the one named, several and none named, or a name that cannot be used:
    a user's mistake, answered in one line."""


def state_dir() -> Path:
    """The directory of every stack's state file (created, mode 0700)."""
    if override := os.environ.get(STATE_DIR_ENV):
        directory = Path(override)
    else:
        base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
        directory = Path(base) / f"roit-devstack-{os.getuid()}"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return directory


def default_name(pid: int | None = None) -> str:
    """The name of a stack started without `--name`: `stack-<pid>`."""
    return f"stack-{pid or os.getpid()}"


def check_name(name: str) -> str:
    """`name` if it can name a stack (a file name: letters, digits, `_.-`).

    Raises:
        StackNotFoundError: it cannot.
    """
    if not _NAME.fullmatch(name):
        raise StackNotFoundError(
            f"{name!r} cannot name a stack: use letters, digits, '_', '.' or '-' (at most 63)"
        )
    return name


def _path(name: str, directory: Path | None = None) -> Path:
    return (directory or state_dir()) / f"{check_name(name)}.json"


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(name: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The state of the stack `name` if it is running, else None (a stale file is removed)."""
    path = _path(name, directory)
    try:
        state = dict(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError):
        return None
    if not _alive(state.get("pid")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return state


def running_stacks(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Name -> state of every running stack of this user, by name."""
    where = directory or state_dir()
    found = {}
    for path in sorted(where.glob("*.json")):
        if _NAME.fullmatch(path.stem) and (state := read_state(path.stem, where)) is not None:
            found[path.stem] = state
    return found


def write_state(name: str, state: Mapping[str, Any], directory: Path | None = None) -> Path:
    """Record the stack `name` (readable by the current user only).

    Raises:
        StackNotFoundError: another running stack has that name.
    """
    if (other := read_state(name, directory)) is not None and other.get("pid") != state.get("pid"):
        raise StackNotFoundError(
            f"a stack named {name!r} is already running (pid {other.get('pid')}); "
            "choose another --name"
        )
    path = _path(name, directory)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({**state, "name": name}, handle, indent=2)
    return path


def remove_state(name: str, *, owner_pid: int, directory: Path | None = None) -> None:
    """Delete the state of `name`, only if the process `owner_pid` wrote it."""
    path = _path(name, directory)
    try:
        if json.loads(path.read_text()).get("pid") == owner_pid:
            path.unlink()
    except (FileNotFoundError, ValueError):
        pass


def find_stack(name: str | None = None) -> dict[str, Any]:
    """The stack a command means: `name`, else `$DEVSTACK_STACK`, else the only one running.

    Raises:
        StackNotFoundError: none runs, the one named does not, or several run and none is named.
    """
    wanted = name or os.environ.get(STACK_ENV) or None
    running = running_stacks()
    listed = ", ".join(running) or "none"
    if wanted is not None:
        if (state := running.get(check_name(wanted))) is None:
            raise StackNotFoundError(
                f"no running stack named {wanted!r} (running: {listed}); "
                "start it with `python -m devstack up --name NAME`"
            )
        return state
    if not running:
        raise StackNotFoundError("no running stack: start one with `python -m devstack up`")
    if len(running) > 1:
        raise StackNotFoundError(
            f"{len(running)} stacks are running ({listed}): "
            f"name one with --stack NAME or {STACK_ENV}=NAME"
        )
    return next(iter(running.values()))
