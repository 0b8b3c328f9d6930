"""Start, wait for and stop the local stack's processes (sandbox, emulator, functions...).

Every process runs in its own process group with its output in a log file, so `stop()` can
end it together with any children it started (gcloud starts a Java child for the Pub/Sub
emulator) and a failed start can show why it failed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

__all__ = [
    "GCLOUD_INSTALL_HINT",
    "REPO_ROOT",
    "ManagedProcess",
    "ProcessStartError",
    "ToolMissingError",
    "find_gcloud",
    "free_port",
    "function_process",
    "pubsub_emulator_process",
    "sandbox_process",
    "secret_manager_process",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
GCLOUD_INSTALL_HINT = (
    "the Google Cloud CLI with the Pub/Sub emulator and a Java runtime (>= 11): "
    "https://cloud.google.com/sdk/docs/install, then "
    "`gcloud components install pubsub-emulator beta` "
    "(or `apt-get install google-cloud-cli-pubsub-emulator default-jre-headless`)"
)


class ProcessStartError(RuntimeError):
    """A managed process exited or did not become ready in time."""


class ToolMissingError(RuntimeError):
    """An external tool the stack needs (gcloud, java) is not installed."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on `host` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ManagedProcess:
    """One child process in its own process group, logging to a file.

    Readiness is every configured check passing: a TCP connect to `port`, an HTTP 2xx from
    `health_path`, and `ready_pattern` (a regex) appearing in the output.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        cwd: Path | str | None = None,
        host: str = LOOPBACK,
        health_path: str | None = None,
        ready_pattern: str | None = None,
        log_dir: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.host = host
        self.env = dict(env or {})
        self.cwd = Path(cwd) if cwd else REPO_ROOT
        self.health_path = health_path
        self.ready_pattern = re.compile(ready_pattern) if ready_pattern else None
        log_root = log_dir or Path(tempfile.mkdtemp(prefix="roit-devstack-"))
        self.log_path = log_root / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL, `http://127.0.0.1:PORT`."""
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id (= process group id) while started."""
        return self._proc.pid if self._proc else None

    def running(self) -> bool:
        """Whether the group leader is still alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        """Start the process in a new process group. Returns self."""
        if self._proc is not None:
            raise ProcessStartError(f"{self.name} already started")
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the process's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _checks_pass(self) -> bool:
        if self.ready_pattern and not self.ready_pattern.search(self.log_tail(400)):
            return False
        if not port_is_open(self.host, self.port):
            return False
        if self.health_path is None:
            return True
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=1) as response:  # noqa: S310 (loopback URL we built)
                return 200 <= int(response.status) < 300
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def wait_ready(self, timeout: float = 30.0) -> Self:
        """Block until the process is ready.

        Raises:
            ProcessStartError: the process exited, or was not ready within `timeout` seconds
                (the message carries the tail of its log).
        """
        if self._proc is None:
            self.start()
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise ProcessStartError(
                    f"{self.name} exited with code {self._proc.returncode} before it was ready "
                    f"({' '.join(self.argv)}); log {self.log_path}:\n{self.log_tail()}"
                )
            if self._checks_pass():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessStartError(
                    f"{self.name} was not ready on {self.url} after {timeout:.0f} s; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.1)

    def _group_alive(self, pgid: int) -> bool:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the whole process group, wait, then SIGKILL whatever is left."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        pgid = proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=timeout)
        while self._group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._group_alive(pgid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
        while self._group_alive(pgid) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, url={self.url!r}, pid={self.pid})"


def _cli_flags(options: Mapping[str, object]) -> list[str]:
    """`{"token_ttl_s": 60, "verbose": True}` -> `["--token-ttl-s", "60", "--verbose"]`."""
    flags: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            flags.append(flag)
        elif isinstance(value, list | tuple):
            for item in value:
                flags += [flag, str(item)]
        else:
            flags += [flag, str(value)]
    return flags


def sandbox_process(port: int | None = None, **cli_options: object) -> ManagedProcess:
    """The ROIT sandbox, `python -m sandbox --port P ...` (options become `--flags`)."""
    port = port or free_port()
    argv = [sys.executable, "-m", "sandbox", "--port", str(port), *_cli_flags(cli_options)]
    return ManagedProcess(
        "sandbox",
        argv,
        port=port,
        health_path="/_sandbox/health",
        ready_pattern=r"ROIT sandbox listening on http://",
    )


def secret_manager_process(port: int | None = None) -> ManagedProcess:
    """The local Secret Manager stand-in, `python -m devstack.secret_manager --port P`."""
    port = port or free_port()
    argv = [sys.executable, "-m", "devstack.secret_manager", "--port", str(port)]
    return ManagedProcess(
        "secret-manager", argv, port=port, ready_pattern=r"Secret Manager stand-in listening on"
    )


def find_gcloud() -> str:
    """Path of the `gcloud` executable, after checking Java is there too.

    Raises:
        ToolMissingError: gcloud or java is missing; the message says what to install.
    """
    gcloud = os.environ.get("ROIT_GCLOUD") or shutil.which("gcloud")
    if not gcloud:
        raise ToolMissingError(f"`gcloud` not found on PATH. Install {GCLOUD_INSTALL_HINT}.")
    if not shutil.which("java"):
        raise ToolMissingError(f"`java` not found on PATH. Install {GCLOUD_INSTALL_HINT}.")
    return gcloud


def pubsub_emulator_process(port: int | None = None, project: str = "roit-local") -> ManagedProcess:
    """The real Pub/Sub emulator (`gcloud beta emulators pubsub start`), with fresh data.

    Raises:
        ToolMissingError: gcloud or java is missing.
    """
    gcloud = find_gcloud()
    port = port or free_port()
    data_dir = tempfile.mkdtemp(prefix="roit-pubsub-")
    argv = [
        gcloud,
        "beta",
        "emulators",
        "pubsub",
        "start",
        f"--host-port={LOOPBACK}:{port}",
        f"--project={project}",
        f"--data-dir={data_dir}",
        "--quiet",
    ]
    return ManagedProcess(
        "pubsub-emulator",
        argv,
        port=port,
        env={"CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
        health_path="/",
    )


def function_process(
    name: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    *,
    label: str | None = None,
) -> ManagedProcess:
    """One function under functions-framework; `name` is its folder and entry point.

    `label` names the process when one function runs twice (`reprocess-webhook`).
    """
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "functions_framework",
        "--target",
        name,
        "--source",
        str(REPO_ROOT / "functions" / name / "main.py"),
        "--port",
        str(port),
        "--host",
        LOOPBACK,
    ]
    return ManagedProcess(label or name, argv, port=port, env=env)
