"""Helpers for the sandbox's tests: the sandbox as a real process, a tiny ROIT client.

Small and self-contained on purpose (``python -m sandbox --port 0``, read the URL line).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from sandbox.control import SandboxControl

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
ENTRYPOINT = "/ibs-core-entrypoint/api/v1/entrypoint/requests"
TOKEN_PATH = "/auth/api/v1/token"
DELIVERY_PATH = "/ibs-core-delivery/api/v1/delivery"


@dataclass
class SandboxProcess:
    """A running ``python -m sandbox`` and a control client for it."""

    url: str
    process: subprocess.Popen[str]
    stderr: IO[str]
    control: SandboxControl = field(init=False)

    def __post_init__(self) -> None:
        self.control = SandboxControl(self.url)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Signal the process, wait for it, return its exit code."""
        self.control.close()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.stderr.close()
        return self.process.returncode


def launch_sandbox(*args: str, timeout_s: float = 20.0) -> SandboxProcess:
    """Start ``python -m sandbox --port 0 ARGS`` and wait for its "listening on" line."""
    stderr = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by SandboxProcess.stop
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            line = process.stdout.readline()
            if line.startswith("ROIT sandbox listening on "):
                return SandboxProcess(line.split(" on ", 1)[1].strip(), process, stderr)
        if process.poll() is not None:
            break
    process.kill()
    process.wait()
    stderr.seek(0)
    raise RuntimeError(f"sandbox did not start: {stderr.read()[-2000:]}")


class RoitClient:
    """A minimal ROIT API client for the tests (raw-JWT scheme)."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.token = token or self.new_token()

    def new_token(self) -> str:
        body = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
        response = self.http.post(TOKEN_PATH, json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["data"]["token"]
        return token

    def post(self, path: str, body: Any, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": self.token, **kwargs.pop("headers", {})}
        return self.http.post(path, json=body, headers=headers, **kwargs)

    def pending(self, entity: str = "DOCUMENT", type_: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"entity": entity, "integrationId": INTEGRATION_ID}
        if type_ is not None:
            body["type"] = type_
        return self.post(f"{ENTRYPOINT}/pending", body)

    def status(self, record: dict[str, Any], status: str, **extra: Any) -> httpx.Response:
        body = {
            "status": status,
            "reference": record["reference"],
            "message": f"ERP says {status}",
            "requestId": record["requestId"],
            "integrationId": INTEGRATION_ID,
            **extra,
        }
        return self.post(f"{ENTRYPOINT}/status", body)

    def by_id(self, endpoint: str, request_id: str) -> httpx.Response:
        body = {"requestId": request_id, "integrationId": INTEGRATION_ID}
        return self.post(f"{ENTRYPOINT}/{endpoint}", body)

    def drain(self, entity: str = "DOCUMENT") -> list[dict[str, Any]]:
        """Poll until the sandbox returns an empty page."""
        records: list[dict[str, Any]] = []
        while True:
            response = self.pending(entity)
            assert response.status_code == 200, response.text
            page = response.json()["data"]
            if not page:
                return records
            records.extend(page)

    def close(self) -> None:
        self.http.close()
