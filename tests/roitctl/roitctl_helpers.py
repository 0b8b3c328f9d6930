"""Helpers for roitctl's tests: the CLI run in-process or as a real process, and a wired
Pub/Sub project (see ``conftest.py`` for the fixtures)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes.factories import REPO_ROOT, ManagedProcess

SECRET_MARKER = "s3cr3t-MARKER-91"  # a client secret that must never be printed


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cli(*args: str) -> Result:
    """``roitctl ARGS`` in this process (its environment is the test's ``os.environ``)."""
    from roitctl.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    columns = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "250"  # tables keep each cell on one line
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as done:
        code = int(done.code or 0)
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        if columns is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = columns
    return Result(code, out.getvalue(), err.getvalue())


def cli_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``python -m roitctl ARGS`` as a real process (its environment: ``env`` only, plus PATH)."""
    base = {"PATH": os.environ.get("PATH", ""), "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "roitctl", *args],
        cwd=REPO_ROOT,
        env={**base, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def write_env(path: Path, env: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return path


# --- a wired project with the push functions ---------------------------------------------


@dataclass
class Deployment:
    """A project on the session emulator wired as Terraform wires it, with update_status and
    register_delivery running under functions-framework against the session sandbox."""

    project: str
    host: str
    processes: list[ManagedProcess] = field(default_factory=list)
    publisher: Any = None
    subscriber: Any = None

    def env(self) -> dict[str, str]:
        """What roitctl needs to reach this project."""
        return {"PUBSUB_EMULATOR_HOST": self.host, "ROIT_GCP_PROJECT": self.project}

    def topic(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"

    def publish(self, topic: str, data: Any, **attributes: str) -> str:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        future = self.publisher.publish(self.topic(topic), raw, **attributes)
        return str(future.result(timeout=30))

    def pull(self, subscription: str, *, expect: int, timeout_s: float = 60) -> list[Any]:
        """Pull and acknowledge until ``expect`` messages came (or the time is up)."""
        return pull(self.subscriber, self.subscription(subscription), expect, timeout_s)

    def drain(self, subscription: str) -> list[Any]:
        """Everything there now, acknowledged."""
        return pull(self.subscriber, self.subscription(subscription), None, 2)


def pull(subscriber: Any, path: str, expect: int | None, timeout_s: float) -> list[Any]:
    received: list[Any] = []
    deadline = time.monotonic() + timeout_s
    empty = 0
    while time.monotonic() < deadline:
        response = subscriber.pull(
            request={"subscription": path, "max_messages": 100, "return_immediately": True},
            timeout=10,
        )
        if response.received_messages:
            empty = 0
            received += [m.message for m in response.received_messages]
            subscriber.acknowledge(
                request={
                    "subscription": path,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
            if expect is not None and len(received) >= expect:
                break
        else:
            empty += 1
            if expect is None and empty >= 3:
                break
            time.sleep(0.2)
    return received
