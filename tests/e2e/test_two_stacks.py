"""Two `devstack up` of the same user side by side: each has its own state, `publish`, `pull`
and `sign` reach the stack they name, and stopping one leaves the other working."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.processes.factories import GCLOUD_INSTALL_HINT, REPO_ROOT
from devstack.testing import require_tool

pytestmark = pytest.mark.integration


class Up:
    """One `python -m devstack up --name NAME` in the background."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up", "--documents", "3", "--name", name],
            cwd=REPO_ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def wait_up(self, timeout_s: float = 180) -> None:
        deadline = time.monotonic() + timeout_s
        while "Press Ctrl-C" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=90)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._out.close()


def test_two_stacks_side_by_side_each_command_reaches_the_one_it_names(tmp_path):
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)
    env = {**os.environ, "DEVSTACK_STATE_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DEVSTACK_STACK", None)

    def devstack(*argv: str, stack: str | None = None) -> subprocess.CompletedProcess[str]:
        extra = {"DEVSTACK_STACK": stack} if stack else {}
        return subprocess.run(
            [sys.executable, "-m", "devstack", *argv],
            cwd=REPO_ROOT, env={**env, **extra}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def state(name: str) -> dict:
        return json.loads((tmp_path / f"{name}.json").read_text())

    def pulled(name: str) -> list[str]:
        answer = devstack("pull", "roit-pending-erp", "--ack", "--stack", name)
        assert answer.returncode == 0, answer.stderr
        assert f"on stack {name} (pid " in answer.stderr
        return [json.loads(line)["data"] for line in answer.stdout.splitlines()]

    blue, green = Up("blue", env, tmp_path / "blue.log"), Up("green", env, tmp_path / "green.log")
    try:
        blue.wait_up()
        green.wait_up()
        assert state("blue")["pubsubEmulatorHost"] != state("green")["pubsubEmulatorHost"]

        # several running and none named: one line listing them, exit 2
        answer = devstack("publish", "roit-pending", "{}")
        assert answer.returncode == 2
        assert answer.stderr.strip().splitlines() == [
            "error: 2 stacks are running (blue, green): "
            "name one with --stack NAME or DEVSTACK_STACK=NAME"
        ]

        # publish and pull reach the stack they name (flag, or DEVSTACK_STACK)
        published = devstack("publish", "roit-pending", '{"to": "blue"}', stack="blue")
        assert published.returncode == 0, published.stderr
        assert "on stack blue (pid " in published.stdout
        assert pulled("green") == []
        assert pulled("blue") == ['{"to": "blue"}']

        # sign: the stack's own URL and secret; green's secret does not open blue's door
        body = '{"requestId": "no-such-request"}'
        signed = devstack("sign", "--send", body, "--stack", "green")
        assert "HTTP 401" not in signed.stdout and "HTTP " in signed.stdout, signed
        curl = devstack("sign", body, "--stack", "green").stdout
        assert state("green")["functions"]["reprocess-webhook"] in curl
        blue_url = state("blue")["functions"]["reprocess-webhook"]
        crossed = devstack("sign", "--send", body, "--stack", "green", "--url", blue_url)
        assert "HTTP 401" in crossed.stdout, crossed

        # stopping blue leaves green working, and green is then the only one
        assert blue.stop() == 0
        assert not (tmp_path / "blue.json").exists()
        answer = devstack("publish", "--stack", "blue", "roit-pending", "{}")
        assert answer.returncode == 2
        assert "no running stack named 'blue' (running: green)" in answer.stderr
        published = devstack("publish", "roit-pending", '{"to": "green"}')
        assert published.returncode == 0, published.stderr
        assert "on stack green (pid " in published.stdout
        assert pulled("green") == ['{"to": "green"}']
    finally:
        blue.stop()
        green.stop()
    assert not list(tmp_path.glob("*.json"))
