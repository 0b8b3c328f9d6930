"""The unit tier runs in process: a test here that starts a process or opens a socket fails,
saying so (the tier's promise: no subprocess, no emulator, no sandbox)."""

from __future__ import annotations

import socket
import subprocess
from typing import Any, NoReturn

import pytest


def _refuse(what: str) -> Any:
    def refuse(*args: object, **kwargs: object) -> NoReturn:
        raise AssertionError(f"a unit test {what}: it belongs to the integration tier")

    return refuse


@pytest.fixture(autouse=True)
def _in_process_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("started a process"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("opened a connection"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("listened on a socket"))
