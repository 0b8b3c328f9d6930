"""Fixtures shared by every test: environment isolation and the local stack's processes.

Process fixtures start real processes over loopback (the ROIT sandbox, the Pub/Sub emulator,
the Secret Manager stand-in) once per session and always stop them, even when a test fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
import pytest

from devstack.processes import (
    GCLOUD_INSTALL_HINT,
    ManagedProcess,
    pubsub_emulator_process,
    sandbox_process,
    secret_manager_process,
)
from devstack.secret_client import local_client, put_secret

if TYPE_CHECKING:
    from google.cloud.secretmanager import SecretManagerServiceClient

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"
SANDBOX_INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
PUBSUB_PROJECT = "roit-local"
SECRETS_PROJECT = "roit-local"


@pytest.fixture(autouse=True)
def _isolate_environ() -> Iterator[None]:
    """Restore `os.environ` after every test, whatever the test or the code under test did."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def tool_missing(message: str) -> NoReturn:
    """Fail when running in CI (`CI=true`), else skip, with `message` saying what to install."""
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: a missing tool is a failure)", pytrace=False)
    pytest.skip(message)


def require_tool(name: str, install_hint: str) -> str:
    """Path of the external tool `name`; if missing, fail in CI or skip elsewhere."""
    path = shutil.which(name)
    if path is None:
        tool_missing(f"`{name}` is not installed; install {install_hint}")
    return path


def _start(process: ManagedProcess, timeout: float) -> ManagedProcess:
    try:
        return process.start().wait_ready(timeout)
    except BaseException:
        process.stop()
        raise


# --- ROIT sandbox ---------------------------------------------------------------------------


class _HttpSandboxControl:
    """Fallback used until `sandbox.control.SandboxControl` exists: just the reset call."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def reset(self) -> Any:
        response = httpx.post(f"{self.base_url}/_sandbox/reset", timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None


def _sandbox_control(base_url: str) -> Any:
    try:
        from sandbox.control import SandboxControl
    except ImportError:
        return _HttpSandboxControl(base_url)
    return SandboxControl(base_url)


@dataclass(frozen=True)
class SandboxHandle:
    """A running, freshly reset ROIT sandbox and the demo credentials it accepts."""

    url: str
    control: Any
    client_id: str = SANDBOX_CLIENT_ID
    client_secret: str = SANDBOX_CLIENT_SECRET
    integration_id: str = SANDBOX_INTEGRATION_ID


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[ManagedProcess]:
    """One ROIT sandbox process for the whole session."""
    process = _start(sandbox_process(), timeout=30)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def sandbox(sandbox_server: ManagedProcess) -> SandboxHandle:
    """The session's sandbox, reset (state, faults, counters) before the test."""
    control = _sandbox_control(sandbox_server.url)
    control.reset()
    return SandboxHandle(url=sandbox_server.url, control=control)


# --- Pub/Sub emulator -----------------------------------------------------------------------


@dataclass(frozen=True)
class PubSubEmulator:
    """The running emulator. Tests set `PUBSUB_EMULATOR_HOST` to `.host` themselves."""

    host: str
    project: str


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[PubSubEmulator]:
    """The real Pub/Sub emulator (gcloud + Java) for the whole session; sets no env var."""
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)
    process = _start(pubsub_emulator_process(project=PUBSUB_PROJECT), timeout=90)
    try:
        yield PubSubEmulator(host=f"{process.host}:{process.port}", project=PUBSUB_PROJECT)
    finally:
        process.stop()


# --- Secret Manager stand-in ----------------------------------------------------------------


@dataclass
class SecretManagerHandle:
    """The running Secret Manager stand-in and helpers using the real client."""

    endpoint: str
    project: str = SECRETS_PROJECT
    _client: SecretManagerServiceClient | None = None

    def client(self) -> SecretManagerServiceClient:
        """A real `SecretManagerServiceClient` (REST, anonymous) talking to the stand-in."""
        if self._client is None:
            self._client = local_client(self.endpoint)
        return self._client

    def put(self, secret_id: str, value: str | bytes) -> str:
        """Create `secret_id` if needed, add `value` as a new version; returns its name."""
        return put_secret(self.client(), self.project, secret_id, value)


@pytest.fixture(scope="session")
def secret_manager() -> Iterator[SecretManagerHandle]:
    """One Secret Manager stand-in process for the whole session."""
    process = _start(secret_manager_process(), timeout=20)
    try:
        yield SecretManagerHandle(endpoint=process.url)
    finally:
        process.stop()
