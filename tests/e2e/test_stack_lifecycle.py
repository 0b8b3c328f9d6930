"""Stopping the stack leaves no process and no listening port behind, whether it is stopped
through the API or by Ctrl-C on `python -m devstack up`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from e2e_helpers import group_exists, port_is_free, processes_in_groups

from devstack.processes.factories import GCLOUD_INSTALL_HINT, REPO_ROOT
from devstack.stack.layout import FUNCTIONS
from devstack.stack.local import LocalStack
from devstack.testing import require_tool

pytestmark = pytest.mark.integration

EXPECTED_PROCESSES = {"sandbox", "secret-manager", "pubsub-emulator", "firestore-emulator"} | {
    spec.label for spec in FUNCTIONS
}


@pytest.fixture(autouse=True)
def _tools():
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)


def _assert_nothing_left(pgids: list[int], ports: list[int]) -> None:
    deadline = time.monotonic() + 10
    while processes_in_groups(pgids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in_groups(pgids) == {}
    assert [g for g in pgids if group_exists(g)] == []
    assert [p for p in ports if not port_is_free(p)] == []


def test_stop_leaves_no_process_and_no_port():
    stack = LocalStack().start()
    try:
        assert set(stack.processes) == EXPECTED_PROCESSES
        pgids, ports = stack.pids(), stack.ports()
        alive = processes_in_groups(pgids)
        # gcloud's Java child runs in the emulator's group: the scan must see it
        assert any("java" in cmd for cmd in alive.values()), alive
        assert all(not port_is_free(p) for p in ports)
        assert httpx.get(stack.sandbox_url + "/_sandbox/health").status_code == 200
    finally:
        stack.stop()
    _assert_nothing_left(pgids, ports)


@pytest.mark.parametrize(
    "signals",
    [
        [signal.SIGINT],  # what Ctrl-C sends
        [signal.SIGHUP, signal.SIGTERM, signal.SIGINT],  # a closed terminal, then more
    ],
    ids=["ctrl-c", "hangup-then-more-signals"],
)
def test_a_signal_on_devstack_up_stops_everything(tmp_path, signals):
    state_file = tmp_path / "lifecycle.json"
    env = {**os.environ, "DEVSTACK_STATE_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "up.log").open("wb")
    up = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up", "--documents", "5", "--name", "lifecycle"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while "Press Ctrl-C" not in (tmp_path / "up.log").read_text():
            assert up.poll() is None, (tmp_path / "up.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "up.log").read_text()
            time.sleep(0.2)
        state = json.loads(state_file.read_text())
        assert oct(state_file.stat().st_mode & 0o777) == "0o600"
        processes = state["processes"]
        assert set(processes) == EXPECTED_PROCESSES
        pgids = [p["pid"] for p in processes.values()]
        ports = [p["port"] for p in processes.values()]
        if len(signals) == 1:
            summary = httpx.post(state["functions"]["poll_pending"], json={}, timeout=60).json()
            assert summary["totals"]["published"] == 5 + 10 + 10

        for number in signals:  # the later ones while the stack is stopping
            up.send_signal(number)
            time.sleep(0.3)
        assert up.wait(timeout=60) == 0
    finally:
        if up.poll() is None:
            up.kill()
        log.close()
    output = (tmp_path / "up.log").read_text()
    assert "stopped: every process ended" in output
    assert not state_file.exists()
    _assert_nothing_left(pgids, ports)


def test_a_stopped_process_leaves_no_scratch_directory(tmp_path) -> None:
    from devstack.processes.factories import sandbox_process

    process = sandbox_process().start().wait_ready(30)
    assert process.log_path is not None and process.log_path.exists()
    scratch = process.log_path.parent
    process.stop()
    assert not scratch.exists()
