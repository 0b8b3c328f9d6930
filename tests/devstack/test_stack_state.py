"""Each stack's own state, how a command finds the stack it means, and every command's
one-line mistakes (no stack is started)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devstack import cli
from devstack.stack import state

# a child process (an ended pid) and sockets: not the unit tier
pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(state.STATE_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(state.STACK_ENV, raising=False)


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _record(name: str, pid: int | None = None) -> None:
    state.write_state(name, {"pid": pid or os.getpid(), "project": name})


def test_each_stack_has_its_own_private_state_removed_only_by_its_owner(tmp_path):
    _record("a")
    _record("b")
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o600
    assert set(state.running_stacks()) == {"a", "b"}
    state.remove_state("a", owner_pid=os.getpid() + 1)  # not its owner: kept
    assert (tmp_path / "a.json").exists()
    state.remove_state("a", owner_pid=os.getpid())
    assert set(state.running_stacks()) == {"b"}  # stopping one leaves the other
    assert state.find_stack()["project"] == "b"


def test_a_stack_whose_process_ended_is_not_running_and_its_file_goes(tmp_path, dead_pid):
    _record("gone", dead_pid)
    assert state.running_stacks() == {}
    assert not (tmp_path / "gone.json").exists()
    _record("gone")  # its name is free again


def test_a_name_already_running_is_refused():
    _record("a")
    with pytest.raises(state.StackNotFoundError, match="already running"):
        state.write_state("a", {"pid": os.getpid() + 1})


def test_the_stack_named_by_flag_then_env_else_the_only_one(monkeypatch):
    with pytest.raises(state.StackNotFoundError, match="no running stack: start one"):
        state.find_stack()
    _record("a")
    assert state.find_stack()["name"] == "a"
    _record("b")
    with pytest.raises(state.StackNotFoundError, match=r"2 stacks are running \(a, b\)"):
        state.find_stack()
    assert state.find_stack("b")["name"] == "b"
    monkeypatch.setenv(state.STACK_ENV, "a")
    assert state.find_stack()["name"] == "a"
    assert state.find_stack("b")["name"] == "b"  # the flag wins
    with pytest.raises(
        state.StackNotFoundError, match=r"no running stack named 'c' \(running: a, b\)"
    ):
        state.find_stack("c")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["publish", "roit-status", "{}"], "2 stacks are running (a, b): name one with --stack"),
        (["pull", "roit-pending-erp"], "2 stacks are running (a, b)"),
        (["sign", "{}"], "2 stacks are running (a, b)"),
        (["publish", "--stack", "c", "roit-status", "{}"], "no running stack named 'c'"),
        (["pull", "--stack", "../x", "s"], "cannot name a stack"),
        (["publish", "roit-status", "{}", "--attr", "novalue"], "'novalue' is not KEY=VALUE"),
        (["sign", "{}", "--url", "http://h/", "--secret", "nope"], "expected whsec_"),
        (["up", "--documents", "-1"], "is not between 0"),
        (["up", "--base-port", "80"], "is not between 1024"),
        (["up", "--name", "a"], "a stack named 'a' is already running"),
        (["up", "--name", "bad/name"], "cannot name a stack"),
        (["demo", "--documents", "many"], "'many' is not a number"),
        (["demo", "--name", "x"], "--name names the stack --keep-up keeps"),
        (["soak", "--error-rate", "1.5"], "1.5 is not between 0 and 1"),
        (["soak", "--sabotage", "everything"], "invalid choice"),
        (["nonsense"], "invalid choice"),
        ([], "the following arguments are required"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_2(argv, says, capsys):
    _record("a")
    _record("b")
    code = run(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert says in captured.err
    assert len(captured.err.strip().splitlines()) == 1, captured.err
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err + captured.out


def run(argv: list[str]) -> int | str | None:
    """`python -m devstack ARGV`'s exit code (argparse's mistakes exit through SystemExit)."""
    try:
        return cli.main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_a_base_port_in_use_and_an_unreachable_url_are_one_line_too(capsys):
    import socket

    from devstack.processes.ports import free_port
    from devstack.stack.layout import new_webhook_secret

    port = free_port()  # below the ephemeral range: a valid base port
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        assert run(["up", "--base-port", str(port), "--name", "squat"]) == 2
    error = capsys.readouterr().err
    assert error == f"error: port {port} (sandbox) is in use: choose another --base-port\n"

    nobody = free_port()
    argv = ["sign", "{}", "--send", "--url", f"http://127.0.0.1:{nobody}/"]
    assert run([*argv, "--secret", new_webhook_secret()]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: cannot call http://127.0.0.1:{nobody}/")
    assert len(error.splitlines()) == 1 and "Traceback" not in error
