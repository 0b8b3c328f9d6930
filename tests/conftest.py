"""Fixtures shared by every test: environment isolation and the local stack's processes.

`require_tool(name, install_hint)` (from `devstack.testing`, re-exported here) fails under
`CI=true` and skips elsewhere when an external tool is missing.

Process fixtures start real processes over loopback (the ROIT sandbox, the Pub/Sub emulator,
the Secret Manager stand-in) once per session and always stop them, even when a test fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from devstack.processes.factories import (
    GCLOUD_INSTALL_HINT,
    ManagedProcess,
    pubsub_emulator_process,
    sandbox_process,
    secret_manager_process,
)
from devstack.processes.firestore_emulator import (
    FIRESTORE_INSTALL_HINT,
    firestore_emulator_installed,
    firestore_emulator_process,
)
from devstack.processes.secret_client import local_client, put_secret
from devstack.testing import require_tool, tool_missing
from sandbox.control import SandboxControl

if TYPE_CHECKING:
    from google.cloud.secretmanager import SecretManagerServiceClient

__all__ = ["require_tool", "tool_missing"]

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


def _start(process: ManagedProcess, timeout: float) -> ManagedProcess:
    try:
        return process.start().wait_ready(timeout)
    except BaseException:
        process.stop()
        raise


# --- ROIT sandbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxHandle:
    """A running, freshly reset ROIT sandbox and the demo credentials it accepts."""

    url: str
    control: SandboxControl
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


@pytest.fixture(scope="session")
def _sandbox_control(sandbox_server: ManagedProcess) -> Iterator[SandboxControl]:
    control = SandboxControl(sandbox_server.url)
    try:
        yield control
    finally:
        control.close()


@pytest.fixture
def sandbox(sandbox_server: ManagedProcess, _sandbox_control: SandboxControl) -> SandboxHandle:
    """The session's sandbox, reset before the test: no requests, faults or counters."""
    _sandbox_control.reset()
    return SandboxHandle(url=sandbox_server.url, control=_sandbox_control)


@pytest.fixture
def shaped(sandbox: SandboxHandle) -> Iterator[Callable[..., None]]:
    """``shaped(token_shape=..., opaque_tokens=..., ...)`` configures the session sandbox; the
    token settings come back to the defaults after the test, whatever happened."""
    original = sandbox.control.credentials()
    try:
        yield lambda **config: sandbox.control.configure(**config) and None
    finally:
        sandbox.control.configure(
            token_lifetime_s=original.token_lifetime_s,
            token_shape=original.token_shape,
            token_required_fields=original.token_required_fields,
            opaque_tokens=original.opaque_tokens,
            gzip=original.gzip,
            token_path=original.token_path,
        )


@pytest.fixture(scope="module")
def bearer_sandbox() -> Iterator[ManagedProcess]:
    """A sandbox that wants ``Authorization: Bearer <token>`` (as OAuth2 servers answer), one
    per test module."""
    process = sandbox_process(auth_scheme="bearer", seed=0)
    try:
        yield process.start().wait_ready(30)
    finally:
        process.stop()


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


# --- Firestore emulator ---------------------------------------------------------------------


@dataclass(frozen=True)
class FirestoreEmulator:
    """The running emulator. Tests set `FIRESTORE_EMULATOR_HOST` to `.host` themselves and
    use a collection of their own (the emulator is shared by the session)."""

    host: str
    project: str
    process: ManagedProcess


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[FirestoreEmulator]:
    """The real Firestore emulator (gcloud + Java) for the whole session; sets no env var."""
    gcloud = require_tool("gcloud", FIRESTORE_INSTALL_HINT)
    require_tool("java", FIRESTORE_INSTALL_HINT)
    if not firestore_emulator_installed(gcloud):
        tool_missing(f"the Firestore emulator is not installed; install {FIRESTORE_INSTALL_HINT}")
    process = _start(firestore_emulator_process(project=PUBSUB_PROJECT), timeout=90)
    try:
        yield FirestoreEmulator(
            host=f"{process.host}:{process.port}", project=PUBSUB_PROJECT, process=process
        )
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


@pytest.fixture
def processing(sandbox: SandboxHandle) -> dict[str, Any]:
    """One request the ERP has received: a document ROIT handed out in a pending page, as
    polled (PROCESSING at ROIT); its sandbox state."""
    from shared.core.settings import RoitSettings
    from shared.roit.client import RoitClient
    from shared.roit.models import PendingEntity, PendingItem

    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    settings = RoitSettings(
        base_url=sandbox.url,
        integration_id=sandbox.integration_id,
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
    )
    client = RoitClient(settings)
    try:
        page = client.pending_page(client.pending_request(PendingEntity.DOCUMENT))  # as polled
    finally:
        client.close()
    assert page.items is not None, page.problem
    ((raw, _),) = page.items
    assert PendingItem.from_raw(raw).record.request_id == state["requestId"]
    return dict(state)
