"""The real Firestore emulator (`gcloud emulators firestore start`), as a managed process.

The shared idempotency store (:mod:`shared.idempotency.firestore`) runs against it locally and
in the tests; the client library finds it through `FIRESTORE_EMULATOR_HOST`.
"""

from __future__ import annotations

from pathlib import Path

from devstack.processes.factories import find_gcloud
from devstack.processes.managed import ManagedProcess
from devstack.processes.ports import LOOPBACK, free_port

__all__ = [
    "FIRESTORE_INSTALL_HINT",
    "STORE_SERVICE",
    "firestore_emulator_installed",
    "firestore_emulator_process",
    "store_env",
    "uses_store",
]

STORE_SERVICE = "firestore-emulator"
"""The emulator's process name in the local stack."""
_STORE_TARGETS = frozenset({"poll_pending", "update_status", "register_delivery"})
_STORE_LABELS = frozenset({"reprocess-webhook"})  # reprocess through IAM verifies no webhook


def uses_store(label: str, target: str) -> bool:
    """Whether a deployment uses the idempotency store (as terraform/idempotency.tf says)."""
    return target in _STORE_TARGETS or label in _STORE_LABELS


def store_env(label: str, target: str, host: str, backend: str = "firestore") -> dict[str, str]:
    """The store's settings for one function process of the local stack (none for the
    deployments that do not use it)."""
    if not uses_store(label, target):
        return {}
    return {"ROIT_IDEMPOTENCY_STORE": backend, "FIRESTORE_EMULATOR_HOST": host}


FIRESTORE_INSTALL_HINT = (
    "the Google Cloud CLI with the Firestore emulator and a Java runtime (>= 11): "
    "`gcloud components install cloud-firestore-emulator` "
    "(or `apt-get install google-cloud-cli-firestore-emulator default-jre-headless`)"
)


def firestore_emulator_installed(gcloud: str) -> bool:
    """Whether the Cloud CLI at ``gcloud`` has the Firestore emulator component."""
    root = Path(gcloud).resolve().parent.parent  # <sdk root>/bin/gcloud
    return (root / "platform" / "cloud-firestore-emulator").is_dir()


def firestore_emulator_process(
    port: int | None = None, project: str = "roit-local"
) -> ManagedProcess:
    """The Firestore emulator on loopback, empty (it keeps nothing on disk).

    Ready when its root answers ``Ok``.

    Raises:
        ToolMissingError: gcloud or java is missing.
    """
    gcloud = find_gcloud()
    port = port or free_port()
    argv = [
        gcloud,
        "emulators",
        "firestore",
        "start",
        f"--host-port={LOOPBACK}:{port}",
        f"--project={project}",
        "--quiet",
    ]
    return ManagedProcess(
        "firestore-emulator",
        argv,
        port=port,
        env={"CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
        health_path="/",
    )
