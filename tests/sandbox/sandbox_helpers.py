"""Helpers for the sandbox's tests: the sandbox as a real process, a tiny ROIT client.

Small and self-contained on purpose (``python -m sandbox --port 0``, read the URL line).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from sandbox.control import SandboxControl

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
ENTRYPOINT = "/ibs-core-entrypoint/api/v1/entrypoint/requests"
TOKEN_PATH = "/auth/api/v1/token"
DELIVERY_PATH = "/ibs-core-delivery/api/v1/delivery"
PENDING_BODY = {"entity": "DOCUMENT", "integrationId": INTEGRATION_ID}


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


@dataclass
class RawAnswer:
    """The head of an HTTP answer read from a raw socket, and the socket to read the rest."""

    sock: socket.socket
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes  # what arrived with the head

    def read_until_quiet(self, quiet_s: float, limit_s: float = 10.0) -> bytes:
        """Read until nothing arrives for ``quiet_s`` (or the peer closes); return it."""
        received = bytearray()
        deadline = time.monotonic() + limit_s
        self.sock.settimeout(quiet_s)
        while time.monotonic() < deadline:
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                break
            if not data:
                break
            received += data
        return bytes(received)

    def wait_closed(self, limit_s: float) -> bytes:
        """Read until the peer closes the connection; return what arrived meanwhile."""
        self.sock.settimeout(limit_s)
        received = bytearray()
        while data := self.sock.recv(65536):
            received += data
        return bytes(received)


def raw_request(
    url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> RawAnswer:
    """Send one HTTP/1.1 request on a new socket and read the answer's status and headers."""
    host, port = urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80
    sock = socket.create_connection((host, port), timeout=10)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    received = b""
    while b"\r\n\r\n" not in received:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before the headers: {received!r}")
        received += data
    head, _, rest = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return RawAnswer(sock, int(status_line.split()[1]), parsed, rest)


def wait_for(predicate: Callable[[], bool], limit_s: float = 5.0) -> bool:
    """Poll ``predicate`` every 20 ms until true or ``limit_s`` passed; return its last value."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
