"""Every command's mistakes as an operator meets them: one line saying what to do, its exit
status, never a traceback. Run as real processes, with no Application Default Credentials
(an empty home, ``GOOGLE_APPLICATION_CREDENTIALS`` naming no file), or against a gRPC server
where Pub/Sub would be that refuses every call as a project without permission (or without
that project) does; and ``--version``."""

from __future__ import annotations

import signal
import threading
import tomllib
from collections.abc import Iterator
from concurrent import futures
from importlib import metadata
from pathlib import Path
from typing import Any

import grpc
import pytest
from roitctl_helpers import cli_process

from devstack.processes.factories import REPO_ROOT

pytestmark = pytest.mark.integration

ADC_LOGIN = "gcloud auth application-default login"


def no_credentials(tmp_path: Path) -> dict[str, str]:
    """An environment with no Application Default Credentials and no emulator."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "HOME": str(home),
        "CLOUDSDK_CONFIG": str(home / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "no-such-key.json"),
    }


def one_line(env: dict[str, str], *args: str, code: int = 2) -> str:
    """Run ``roitctl ARGS``; assert it stopped with ``code`` and one line on stderr; that line."""
    process = cli_process(*args, env=env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_version_is_the_package_metadatas() -> None:
    process = cli_process("--version")
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    declared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert metadata.version(declared["name"]) == declared["version"]
    assert out.strip() == f"roitctl {declared['version']}"


@pytest.mark.parametrize(
    "args",
    [
        ("dead-letters", "list", "--project", "acme-erp-prod"),
        ("dead-letters", "list", "roit-status-dead-letter-sub", "--project", "acme-erp-prod"),
        ("dead-letters", "replay", "roit-status-dead-letter-sub", "--project", "acme-erp-prod"),
        ("doctor", "--function", "poll-pending", "--region", "r1", "--project", "acme-erp-prod"),
    ],
    ids=["list", "list-one", "replay", "doctor-function"],
)
def test_no_application_default_credentials_says_what_to_run(tmp_path, args) -> None:
    line = one_line(no_credentials(tmp_path), *args)
    assert ADC_LOGIN in line and "Application Default Credentials" in line


class _Refuse(grpc.GenericRpcHandler):
    """Answers every call, whatever the method, with one status; with ``held`` set, only once
    that is set too (``called`` says a call came)."""

    def __init__(self) -> None:
        self.code = grpc.StatusCode.PERMISSION_DENIED
        self.called = threading.Event()
        self.held: threading.Event | None = None

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        def answer(request: bytes, context: grpc.ServicerContext) -> bytes:
            self.called.set()
            if self.held is not None:
                self.held.wait(60)
            context.abort(self.code, "refused by the test's server")
            raise AssertionError("abort returns only by raising")

        return grpc.unary_unary_rpc_method_handler(answer)


@pytest.fixture(scope="module")
def refusing() -> Iterator[tuple[str, _Refuse]]:
    """A gRPC server where Pub/Sub would be (``PUBSUB_EMULATOR_HOST``): what a project says
    to credentials without permission, or for a project that does not exist."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    handler = _Refuse()
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}", handler
    finally:
        server.stop(0)


@pytest.mark.parametrize(
    "args",
    [
        ("dead-letters", "list", "--project", "acme-erp-prod"),
        ("dead-letters", "replay", "roit-status-dead-letter-sub", "--project", "acme-erp-prod"),
    ],
    ids=["list", "replay"],
)
def test_no_permission_says_what_to_do(tmp_path, refusing, args) -> None:
    host, handler = refusing
    handler.code = grpc.StatusCode.PERMISSION_DENIED
    line = one_line({**no_credentials(tmp_path), "PUBSUB_EMULATOR_HOST": host}, *args)
    assert "permission denied" in line and "--project" in line and ADC_LOGIN in line


def test_no_such_project_says_what_to_check(tmp_path, refusing) -> None:
    host, handler = refusing
    handler.code = grpc.StatusCode.NOT_FOUND
    env = {**no_credentials(tmp_path), "PUBSUB_EMULATOR_HOST": host}
    line = one_line(
        env, "dead-letters", "replay", "roit-status-dead-letter-sub", "--project", "nope"
    )
    assert "does not exist in project nope" in line and "--project" in line


def test_no_such_project_lists_each_subscription_as_missing(tmp_path, refusing) -> None:
    host, handler = refusing
    handler.code = grpc.StatusCode.NOT_FOUND
    env = {**no_credentials(tmp_path), "PUBSUB_EMULATOR_HOST": host, "COLUMNS": "60"}
    process = cli_process("dead-letters", "list", "--project", "nope", env=env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, (out, err)  # a report: every row says what it found
    assert "Traceback" not in out + err
    rows = [line for line in out.splitlines() if "-dead-letter-sub" in line]
    assert len(rows) == 3 and all("does not exist" in row for row in rows)


def test_ctrl_c_in_a_command_says_interrupted(tmp_path, refusing) -> None:
    host, handler = refusing
    handler.called.clear()
    handler.held = threading.Event()
    env = {**no_credentials(tmp_path), "PUBSUB_EMULATOR_HOST": host}
    args = ("dead-letters", "replay", "roit-status-dead-letter-sub", "--project", "acme-erp-prod")
    process = cli_process(*args, env=env)
    try:
        assert handler.called.wait(60), "the command never called Pub/Sub"
        process.send_signal(signal.SIGINT)  # while it waits for Pub/Sub's answer
        out, err = process.communicate(timeout=60)
    finally:
        handler.held.set()
        handler.held = None
    assert process.returncode == 130, (out, err)
    assert err.strip().splitlines() == ["interrupted"]


def test_tables_never_break_a_name_off_a_terminal(pubsub_emulator) -> None:
    name = "a-dead-letter-subscription-whose-name-is-much-longer-than-a-narrow-column-x"
    env = {"PUBSUB_EMULATOR_HOST": pubsub_emulator.host, "COLUMNS": "40"}
    process = cli_process("dead-letters", "list", name, "--project", "tables", env=env)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, (out, err)  # it does not exist: a row says so
    (row,) = [line for line in out.splitlines() if name in line]
    assert "does not exist" in row
