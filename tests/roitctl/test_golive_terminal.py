"""The go-live commands on a terminal (a pseudo-terminal the command owns, as in an operator's
shell): setup asks and reads the client secret with echo off; the webhook secret is shown
once, on a terminal only."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from golive_helpers import CLIENT_SECRET, ERP, new_project
from roitctl_helpers import run_cli

from devstack.processes.managed import REPO_ROOT
from roitctl.golive.hcl import read_tfvars
from roitctl.golive.secrets import CREDENTIALS_SECRET, SecretValues

pytestmark = pytest.mark.integration


@pytest.fixture
def project(secret_manager) -> str:
    return new_project(secret_manager)


def _outputs(tmp_path: Path, project: str) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({
        "topics": {"value": {"roit-pending": f"projects/{project}/topics/roit-pending"}},
        "function_uris": {"value": {"reprocess-webhook": "https://hook.example.test/"}},
    }))  # fmt: skip
    return path


def test_the_secret_is_shown_once_on_a_terminal_and_never_elsewhere(
    tmp_path, secret_manager, project, monkeypatch
):
    values = SecretValues(project, secret_manager.endpoint)
    values.ensure_webhook_secret()
    (secret,) = values.webhook_secrets()
    args = ["handover", "partner", "--outputs", str(_outputs(tmp_path, project)),
            "--secret-manager-endpoint", secret_manager.endpoint]  # fmt: skip
    piped = run_cli(*args, "--show-secret")
    assert piped.code == 2 and "to a terminal only" in piped.err
    assert secret not in piped.out + piped.err
    plain = run_cli(*args)
    assert plain.code == 0 and "https://hook.example.test/" in plain.out
    assert secret not in plain.out and not re.search(r"whsec_[A-Za-z0-9+/]{16}", plain.out)

    primary, replica = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROIT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "roitctl", *args, "--show-secret"],
        stdout=replica, stderr=subprocess.PIPE, cwd=REPO_ROOT, env=env,
    )  # fmt: skip
    os.close(replica)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    assert shown.decode().count(secret) == 1


def _own_terminal() -> None:
    """In the child: a session of its own whose controlling terminal is the pty (stdin), as
    in an operator's shell, so that a hidden prompt reads it with echo off."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A process on a pseudo-terminal: wait for a prompt (select, with a deadline), answer."""

    def __init__(self, argv: list[str]) -> None:
        self.primary, replica = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROIT_")}
        self.process = subprocess.Popen(
            argv, stdin=replica, stdout=replica, stderr=replica, cwd=REPO_ROOT, env=env,
            preexec_fn=_own_terminal,
        )  # fmt: skip
        os.close(replica)
        self.seen = b""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {text!r} in {self.seen.decode(errors='replace')}"
            ready, _, _ = select.select([self.primary], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.primary, 65536)
                except OSError:
                    chunk = b""
                assert chunk, f"ended before {text!r}: {self.seen.decode(errors='replace')}"
                self.seen += chunk

    def answer(self, prompt: str, text: str) -> None:
        self.expect(prompt)
        os.write(self.primary, text.encode() + b"\n")

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(self.seen.decode(errors="replace")) from None
        while True:
            try:
                chunk = os.read(self.primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk
        os.close(self.primary)
        return code


def test_setup_asks_on_a_terminal_and_never_echoes_the_secret(tmp_path, secret_manager, project):
    tfvars = tmp_path / "dev.tfvars"
    terminal = Terminal([sys.executable, "-m", "roitctl", "setup", "--tfvars", str(tfvars),
                         "--secret-manager-endpoint", secret_manager.endpoint])  # fmt: skip
    for prompt, text in [
        ("environment", "dev"), ("project", project), ("integration-id", "acme-1234"),
        ("team-group", "team@acme.test"), ("erp-principal", ERP),
        ("alert-email", "oncall@acme.test, pager@acme.test"),
        ("ROIT client id", "acme-client"),
        ("ROIT client secret: ", CLIENT_SECRET),  # the space: written once echo is off
    ]:  # fmt: skip
        terminal.answer(prompt, text)
    assert terminal.finish() == 0, terminal.seen.decode(errors="replace")
    assert CLIENT_SECRET.encode() not in terminal.seen
    assert b"credentials: added version 1" in terminal.seen
    assert read_tfvars(tfvars)["alert_email_addresses"] == ["oncall@acme.test", "pager@acme.test"]
    stored = SecretValues(project, secret_manager.endpoint).latest(CREDENTIALS_SECRET)
    assert json.loads(stored or "") == {"client_id": "acme-client", "client_secret": CLIENT_SECRET}
