"""One child process in its own process group: start, wait until ready, stop it and its children.

Output goes to a log file, so a failed start can show why it failed; `stop()` signals the whole
group, so children (gcloud's Java child of the Pub/Sub emulator, gunicorn's workers) end too.
A process can be started again after it stopped (same port, its log appended to), killed at
once with SIGKILL (`kill()`), or frozen and thawed (`freeze()` / `thaw()`: SIGSTOP / SIGCONT).

Readiness: a process proves it is ready, and which port it holds, by saying so: it binds its
port, then prints a line (`port_report`, a regex with a `port` group) that can only come from
its own output since this start. Port 0 lets the child choose; the port it reports is adopted
(at each start: a process started again may get another port).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from devstack.processes.ports import LOOPBACK, free_port, port_is_open

__all__ = [
    "INHERITED_ENV_DROPPED",
    "LOOPBACK",
    "REPO_ROOT",
    "ManagedProcess",
    "ProcessStartError",
    "free_port",
    "port_is_open",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
# The caller's own settings must not leak into the stack's processes: each gets exactly the
# ROIT_* / emulator settings the stack gives it.
INHERITED_ENV_DROPPED = (
    "ROIT_",
    "PUBSUB_EMULATOR_HOST",
    "FIRESTORE_EMULATOR_HOST",
    "GOOGLE_APPLICATION_CREDENTIALS",
)


class ProcessStartError(RuntimeError):
    """A managed process exited or did not become ready in time."""


class ManagedProcess:
    """One child process in its own process group, logging to a file.

    Readiness is every configured check passing: the process reporting the port it bound
    (`port_report`: a regex with a `port` group, searched in this start's output; the port
    must be `port`, or is adopted when `port` is 0), then a status in `health_statuses`
    (default 2xx) from `GET health_path`. A process that cannot report (`port_report` None)
    is ready once something accepts a connection on `port` and the health check passes.
    Inherited variables starting with `drop_env_prefixes` are not passed on; `env` is added
    on top.
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
        health_statuses: range = range(200, 300),
        port_report: str | None = None,
        log_dir: Path | None = None,
        drop_env_prefixes: tuple[str, ...] = INHERITED_ENV_DROPPED,
        scratch_dirs: Sequence[Path | str] = (),
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self._child_chooses_port = port == 0  # again at each start: the port may change
        self.host = host
        self.env = dict(env or {})
        self.cwd = Path(cwd) if cwd else REPO_ROOT
        self.health_path = health_path
        self.health_statuses = health_statuses
        self.drop_env_prefixes = drop_env_prefixes
        self.port_report = re.compile(port_report) if port_report else None
        # None: a temporary directory is made at start().
        self.log_path: Path | None = log_dir / f"{name}.log" if log_dir else None
        self.last_pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0  # where this start's output begins in the (appended) log
        # Directories this process owns, removed once it has stopped.
        self.scratch_dirs = [Path(d) for d in scratch_dirs]

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
        if self._child_chooses_port:
            self.port = 0
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(self.drop_env_prefixes)
        }
        env = {**inherited, "PYTHONUNBUFFERED": "1", **self.env}
        if self.log_path is None:
            own_dir = Path(tempfile.mkdtemp(prefix="roit-devstack-"))
            self.scratch_dirs.append(own_dir)
            self.log_path = own_dir / f"{self.name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")  # a restart keeps what the last run wrote
        self._log_offset = self._log.tell()
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.last_pid = self._proc.pid
        return self

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the process's output since it was (last) started."""
        if self.log_path is None:
            return ""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def reported_port(self) -> int | None:
        """The port the process said it bound since this start (None: not said yet)."""
        if self.port_report is None:
            return None
        match = self.port_report.search(self.log_tail(400))
        return int(match.group("port")) if match else None

    def _checks_pass(self) -> bool:
        """Raises: ProcessStartError when the process reports another port than `port`."""
        if self.port_report is not None:
            reported = self.reported_port()
            if reported is None:
                return False
            if self.port and reported != self.port:
                raise ProcessStartError(
                    f"{self.name} reports port {reported}, expected {self.port}; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            self.port = reported
        elif not port_is_open(self.host, self.port):
            return False
        if self.health_path is None:
            return True
        try:
            with urllib.request.urlopen(self.url + self.health_path, timeout=1) as response:  # noqa: S310 (loopback URL we built)
                return int(response.status) in self.health_statuses
        except urllib.error.HTTPError as error:
            return int(error.code) in self.health_statuses
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
            try:
                if self._checks_pass():
                    return self
            except ProcessStartError:
                self.stop()
                raise
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

    def kill(self) -> None:
        """SIGKILL the whole process group at once (no chance to finish anything), and wait
        until it is gone; `start()` may then run it again."""
        self.stop(first_signal=signal.SIGKILL)

    def freeze(self) -> None:
        """SIGSTOP the whole group: it keeps its state and sockets but answers nothing."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the whole group after `freeze()`."""
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGCONT)

    def stop(self, timeout: float = 10.0, *, first_signal: int = signal.SIGTERM) -> None:
        """SIGTERM the whole process group, wait, then SIGKILL whatever is left."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        pgid = proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, first_signal)
            os.killpg(pgid, signal.SIGCONT)  # a frozen group must be able to act on it
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
        for directory in self.scratch_dirs:
            shutil.rmtree(directory, ignore_errors=True)

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
