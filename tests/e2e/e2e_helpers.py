"""Helpers for the end-to-end tests: what is left of a stopped stack."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from pathlib import Path


def processes_in_groups(pgids: Iterable[int]) -> dict[int, str]:
    """pid -> command line of every live (non-zombie) process whose group is in `pgids`."""
    wanted = set(pgids)
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # fields after the command (which is in parentheses and may contain spaces)
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) in wanted and state != "Z":
            found[int(entry.name)] = cmdline.strip()
    return found


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:port and it can be bound again."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def group_exists(pgid: int) -> bool:
    """Whether any process is left in the process group."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
