"""ManagedProcess: real child processes, readiness checks, and clean group shutdown."""

from __future__ import annotations

import os
import socket
import sys
import time
import urllib.request

import pytest

from devstack.processes.factories import (
    ManagedProcess,
    ProcessStartError,
    _cli_flags,
    free_port,
    port_is_open,
    pubsub_emulator_process,
)

pytestmark = pytest.mark.integration

# A server that prints a ready line, answers HTTP, and starts a child that ignores SIGTERM
# (like gcloud's Java child): stop() must still leave nothing of the group behind.
SERVER = """
import http.server, subprocess, sys, signal
port = int(sys.argv[1])
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
print("child", child.pid, flush=True)
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/health" else 404); self.end_headers()
    def log_message(self, *a): pass
server = http.server.HTTPServer(("127.0.0.1", port), H)
print("ready on", port, flush=True)
server.serve_forever()
"""


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_cli_flags():
    assert _cli_flags({"token_ttl_s": 60, "verbose": True, "quiet": False, "x": None}) == [
        "--token-ttl-s=60",
        "--verbose",
    ]
    assert _cli_flags({"fault": ["a", "b"]}) == ["--fault=a", "--fault=b"]


@pytest.mark.parametrize("secret", ["-vieAEuChm-MGzffYA3", "--looks-like-a-flag", "a b=c"])
def test_a_value_that_starts_with_a_dash_reaches_the_sandbox_as_given(secret):
    """A random secret (``secrets.token_urlsafe``) starts with ``-`` one time in 64: the
    sandbox's own parser must read it as the value (a go-live rehearsal once died of it)."""
    from sandbox.__main__ import _parser

    args = _parser().parse_args(_cli_flags({"client_secret": secret, "seed": 3}))
    assert args.client_secret == secret and args.seed == 3


def test_ready_by_line_port_and_health_then_stop_kills_the_whole_group(tmp_path):
    port = free_port()
    process = ManagedProcess(
        "toy",
        [sys.executable, "-c", SERVER, str(port)],
        port=port,
        health_path="/health",
        port_report=r"ready on (?P<port>\d+)",
        log_dir=tmp_path,
    )
    with process:
        assert process.url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(process.url + "/health") as response:
            assert response.status == 200
        pgid = process.pid
        assert pgid is not None
        child = int(process.log_tail().split("child ")[1].split()[0])
        assert os.getpgid(child) == pgid
    assert not process.running()
    assert _group_gone(pgid)
    assert not port_is_open("127.0.0.1", port)
    assert "ready on" in (tmp_path / "toy.log").read_text()


def test_early_exit_fails_with_the_log_tail(tmp_path):
    process = ManagedProcess(
        "crasher",
        [sys.executable, "-c", "print('bad config: ROIT_BASE_URL missing'); raise SystemExit(3)"],
        port=free_port(),
        log_dir=tmp_path,
    )
    with pytest.raises(ProcessStartError, match="exited with code 3") as info:
        process.start().wait_ready(timeout=10)
    assert "ROIT_BASE_URL missing" in str(info.value)
    process.stop()


def test_not_ready_in_time_fails_and_stops(tmp_path):
    process = ManagedProcess(
        "sleeper",
        [sys.executable, "-c", "import time; print('starting', flush=True); time.sleep(60)"],
        port=free_port(),
        log_dir=tmp_path,
    )
    started = time.monotonic()
    with pytest.raises(ProcessStartError, match="not ready") as info:
        process.start().wait_ready(timeout=1)
    assert "starting" in str(info.value)
    assert time.monotonic() - started < 15
    assert not process.running()


@pytest.mark.integration
def test_pubsub_emulator_starts_and_stops_without_leftovers(tmp_path):
    from devstack.testing import require_tool

    require_tool("gcloud", "the Google Cloud CLI")
    require_tool("java", "a Java runtime")
    process = pubsub_emulator_process()
    with process:
        pgid = process.pid
        assert pgid is not None
        with urllib.request.urlopen(process.url + "/") as response:
            assert response.status == 200
    assert _group_gone(pgid)
    assert not port_is_open("127.0.0.1", process.port)


def test_free_ports_stay_out_of_the_ephemeral_range() -> None:
    from devstack.processes.ports import _ephemeral_range

    low, high = _ephemeral_range()
    ports = {free_port() for _ in range(20)}
    assert all(not (low <= p <= high) for p in ports)


def test_a_process_is_not_ready_while_someone_else_holds_its_port(tmp_path) -> None:
    """A port taken between choosing it and binding it must not pass for our server."""
    import socket
    import sys

    from devstack.processes.managed import ManagedProcess, ProcessStartError

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    port = squatter.getsockname()[1]
    try:
        process = ManagedProcess(
            "sleeper",
            [sys.executable, "-c", "import time; time.sleep(30)"],
            port=port,
            port_report=r"ready on (?P<port>\d+)",
        )
        with pytest.raises(ProcessStartError, match="not ready"):
            process.start().wait_ready(2)
    finally:
        process.stop()
        squatter.close()


def test_a_process_reporting_another_port_fails_at_once_with_its_log(tmp_path) -> None:
    """A child that bound another port than the one asked for is not taken for ready."""
    expected, other = free_port(), free_port()
    process = ManagedProcess(
        "toy",
        [sys.executable, "-c", SERVER, str(other)],
        port=expected,
        port_report=r"ready on (?P<port>\d+)",
        log_dir=tmp_path,
    )
    started = time.monotonic()
    with pytest.raises(ProcessStartError, match=f"reports port {other}, expected {expected}"):
        process.start().wait_ready(120)
    assert time.monotonic() - started < 60  # at once, not after the timeout
    assert not process.running()


def test_port_zero_the_child_binds_a_free_port_and_its_report_is_adopted(tmp_path) -> None:
    bind = 'server = http.server.HTTPServer(("127.0.0.1", port), H)'
    chooser = SERVER.replace(bind, bind.replace("port)", "0)") + "; port = server.server_port")
    assert chooser != SERVER
    process = ManagedProcess(
        "toy",
        [sys.executable, "-c", chooser, "0"],
        port=0,
        health_path="/health",
        port_report=r"ready on (?P<port>\d+)",
        log_dir=tmp_path,
    )
    with process:
        assert process.port > 0
        assert f"ready on {process.port}" in process.log_tail()
        with urllib.request.urlopen(process.url + "/health", timeout=5) as response:
            assert response.status == 200
    assert not port_is_open("127.0.0.1", process.port)
    with process:  # started again, it chooses (and reports) a port again
        assert f"ready on {process.port}" in process.log_tail()
        with urllib.request.urlopen(process.url + "/health", timeout=5) as response:
            assert response.status == 200


def _toy(tmp_path) -> ManagedProcess:
    port = free_port()
    return ManagedProcess(
        "toy",
        [sys.executable, "-c", SERVER, str(port)],
        port=port,
        health_path="/health",
        port_report=r"ready on (?P<port>\d+)",
        log_dir=tmp_path,
    )


def test_killed_then_started_again_on_its_port_with_its_log_kept(tmp_path) -> None:
    process = _toy(tmp_path).start().wait_ready(20)
    first = process.pid
    assert first is not None
    process.kill()  # SIGKILL: even the child that ignores SIGTERM is gone at once
    assert _group_gone(first)
    assert not port_is_open("127.0.0.1", process.port)
    process.start().wait_ready(20)
    try:
        assert process.pid != first
        assert (tmp_path / "toy.log").read_text().count("ready on") == 2  # appended
        assert process.log_tail().count("ready on") == 1  # this start's output only
    finally:
        process.stop()


def test_a_frozen_process_answers_nothing_until_thawed_and_still_stops(tmp_path) -> None:
    process = _toy(tmp_path).start().wait_ready(20)
    try:
        process.freeze()
        with pytest.raises(OSError):
            urllib.request.urlopen(process.url + "/health", timeout=1)
        process.thaw()
        with urllib.request.urlopen(process.url + "/health", timeout=5) as response:
            assert response.status == 200
        process.freeze()
    finally:
        pgid = process.pid
        process.stop()  # a frozen group is woken up to act on SIGTERM
    assert pgid is not None and _group_gone(pgid)
