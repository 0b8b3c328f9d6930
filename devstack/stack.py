"""The local stack: sandbox, Pub/Sub emulator, Secret Manager stand-in and every function.

    with LocalStack(StackOptions()) as stack:
        stack.function_url("poll_pending")

Start order: the three services (in parallel), the secrets, the Pub/Sub wiring (push
endpoints point at the functions' ports, chosen up front), then the six function processes
(in parallel). Any failure stops everything already started; `stop()` ends every process group
and frees every port.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from devstack import wiring
from devstack.processes import (
    ManagedProcess,
    free_port,
    function_process,
    pubsub_emulator_process,
    sandbox_process,
    secret_manager_process,
)
from devstack.secret_client import local_client, put_secret

__all__ = [
    "CREDENTIALS_SECRET",
    "FUNCTIONS",
    "INTEGRATION_ID",
    "WEBHOOK_SECRETS_SECRET",
    "LocalStack",
    "StackOptions",
    "new_webhook_secret",
    "port_layout",
]

CREDENTIALS_SECRET = "roit-api-credentials"
WEBHOOK_SECRETS_SECRET = "roit-webhook-secrets"
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"


@dataclass(frozen=True)
class FunctionSpec:
    """One function deployment: its process label, entry point and own environment."""

    label: str
    target: str
    env: Mapping[str, str] = field(default_factory=dict)


FUNCTIONS = (
    FunctionSpec("poll_pending", "poll_pending"),
    FunctionSpec(
        "update_status",
        "update_status",
        {"ROIT_DEAD_LETTER_TOPIC": wiring.dead_letter_topic(wiring.STATUS_TOPIC)},
    ),
    FunctionSpec(
        "register_delivery",
        "register_delivery",
        {"ROIT_DEAD_LETTER_TOPIC": wiring.dead_letter_topic(wiring.DELIVERIES_TOPIC)},
    ),
    FunctionSpec("reprocess", "reprocess", {"ROIT_REPROCESS_CALLER_AUTH": "iam"}),
    FunctionSpec(
        "reprocess-webhook",
        "reprocess",
        {
            "ROIT_REPROCESS_CALLER_AUTH": "webhook",
            "ROIT_WEBHOOK_SECRETS_SECRET": WEBHOOK_SECRETS_SECRET,
        },
    ),
    FunctionSpec("get_attachments", "get_attachments"),
)


SERVICES = ("sandbox", "pubsub-emulator", "secret-manager")


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret, `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@dataclass
class StackOptions:
    """What the stack can vary. Defaults: Terraform's Pub/Sub settings, an empty sandbox."""

    project: str = "roit-local"
    poll_targets: str = "DOCUMENT,PURCHASE_ORDER,SUPPLIER"
    poll_time_budget_s: int = 60
    sandbox_options: dict[str, object] = field(default_factory=dict)
    seed_documents: int = 0
    seed_master: int = 0
    seed_received: int = 0
    retry_min_s: int = 10
    retry_max_s: int = 600
    log_level: str = "INFO"
    log_dir: Path | None = None
    keep_logs: bool = False  # keep a temporary log directory after stop (it is printed)
    base_port: int | None = None  # None: free ports; N: the layout of `port_layout`


def port_layout(base_port: int | None) -> dict[str, int]:
    """Process name -> port: `base_port` + SERVICES order then FUNCTIONS order, or free ports."""
    names = [*SERVICES, *(spec.label for spec in FUNCTIONS)]
    if base_port is None:
        return {name: free_port() for name in names}
    return {name: base_port + offset for offset, name in enumerate(names)}


class LocalStack:
    """Every process of the local stack, started and stopped together."""

    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self._own_log_dir = self.options.log_dir is None
        self.log_dir = self.options.log_dir or Path(tempfile.mkdtemp(prefix="roit-devstack-"))
        self.keep_logs = self.options.keep_logs
        self.webhook_secret = new_webhook_secret()
        self.processes: dict[str, ManagedProcess] = {}
        self.wiring: wiring.Wiring | None = None
        self._ports = port_layout(self.options.base_port)

    # -- addresses -------------------------------------------------------------------------
    @property
    def sandbox_url(self) -> str:
        """The ROIT sandbox's base URL."""
        return self.processes["sandbox"].url

    @property
    def secret_manager_endpoint(self) -> str:
        """The Secret Manager stand-in's `http://127.0.0.1:PORT`."""
        return self.processes["secret-manager"].url

    @property
    def pubsub_host(self) -> str:
        """The emulator's `127.0.0.1:PORT` (the value of `PUBSUB_EMULATOR_HOST`)."""
        emulator = self.processes["pubsub-emulator"]
        return f"{emulator.host}:{emulator.port}"

    def function_url(self, label: str) -> str:
        """URL of a function process, by label (`reprocess-webhook` for the webhook)."""
        return f"http://127.0.0.1:{self._ports[label]}/"

    # -- lifecycle -------------------------------------------------------------------------
    def _add(self, process: ManagedProcess) -> ManagedProcess:
        process.log_path = self.log_dir / f"{process.name}.log"
        self.processes[process.name] = process
        return process.start()

    def start(self) -> Self:
        """Start everything; on any failure stop what was started and re-raise.

        Raises:
            ProcessStartError: a process exited or did not become ready (with its log tail).
            ToolMissingError: gcloud or java is missing.
        """
        try:
            self._start_services()
            self._fill_secrets()
            self.wiring = wiring.wire(
                self.pubsub_host,
                self.options.project,
                {s.target: self.function_url(s.label) for s in FUNCTIONS},
                retry_min_s=self.options.retry_min_s,
                retry_max_s=self.options.retry_max_s,
            )
            self._start_functions()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_services(self) -> None:
        sandbox_cli: dict[str, object] = {
            "seed": self.options.seed_documents,
            "seed_master": self.options.seed_master,
            "seed_received": self.options.seed_received,
            **self.options.sandbox_options,
        }
        ports = self._ports
        started = [
            self._add(pubsub_emulator_process(ports["pubsub-emulator"], self.options.project)),
            self._add(sandbox_process(ports["sandbox"], **sandbox_cli)),
            self._add(secret_manager_process(ports["secret-manager"])),
        ]
        for process in started:
            process.wait_ready(timeout=90 if process.name == "pubsub-emulator" else 30)

    def _fill_secrets(self) -> None:
        client = local_client(self.secret_manager_endpoint)
        credentials = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET}
        put_secret(client, self.options.project, CREDENTIALS_SECRET, json.dumps(credentials))
        put_secret(client, self.options.project, WEBHOOK_SECRETS_SECRET, self.webhook_secret)

    def function_env(self, spec: FunctionSpec) -> dict[str, str]:
        """The environment of one function process (names from docs/DESIGN.md)."""
        env = {
            "ROIT_BASE_URL": self.sandbox_url,
            "ROIT_INTEGRATION_ID": INTEGRATION_ID,
            "ROIT_GCP_PROJECT": self.options.project,
            "ROIT_CREDENTIALS_SECRET": CREDENTIALS_SECRET,
            "ROIT_SECRET_MANAGER_ENDPOINT": self.secret_manager_endpoint,
            "ROIT_LOG_LEVEL": self.options.log_level,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "GOOGLE_CLOUD_PROJECT": self.options.project,
        }
        if spec.target == "poll_pending":
            env["ROIT_PENDING_TOPIC"] = wiring.PENDING_TOPIC
            env["ROIT_DEAD_LETTER_TOPIC"] = wiring.dead_letter_topic(wiring.PENDING_TOPIC)
            env["ROIT_POLL_TARGETS"] = self.options.poll_targets
            env["ROIT_POLL_TIME_BUDGET_S"] = str(self.options.poll_time_budget_s)
        return {**env, **spec.env}

    def env_file(self, label: str) -> Path:
        """Where a function's environment is written (`KEY=VALUE` lines, no secret values:
        the credentials live in the Secret Manager stand-in), for `roitctl --env-file`."""
        return self.log_dir / "env" / f"{label}.env"

    def _write_env_file(self, spec: FunctionSpec) -> None:
        path = self.env_file(spec.label)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        lines = [f"{name}={value}" for name, value in sorted(self.function_env(spec).items())]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")

    def _start_functions(self) -> None:
        for spec in FUNCTIONS:
            self._write_env_file(spec)
        started = [
            self._add(
                function_process(
                    spec.target,
                    self._ports[spec.label],
                    self.function_env(spec),
                    label=spec.label,
                )
            )
            for spec in FUNCTIONS
        ]
        for process in started:
            process.wait_ready(timeout=60)

    def stop(self) -> None:
        """Stop every process, functions first (in parallel), then the services.

        Raises:
            Exception: the first error of a `stop()`, after every process was stopped.
        """
        functions = {spec.label for spec in FUNCTIONS}
        errors: list[BaseException] = []
        for group in (functions, set(self.processes) - functions):
            members = [p for name, p in self.processes.items() if name in group]
            with ThreadPoolExecutor(max_workers=max(1, len(members))) as pool:
                for future in [pool.submit(p.stop) for p in members]:
                    if (error := future.exception()) is not None:
                        errors.append(error)
        if self._own_log_dir and not self.keep_logs:
            shutil.rmtree(self.log_dir, ignore_errors=True)
        if errors:
            raise errors[0]

    def pids(self) -> list[int]:
        """Process (group) ids of every process started, including stopped ones' last ids."""
        return [pid for p in self.processes.values() if (pid := p.last_pid) is not None]

    def ports(self) -> list[int]:
        """Every port the stack listens (or listened) on."""
        return [p.port for p in self.processes.values()]

    def describe(self) -> dict[str, Any]:
        """Everything a client needs: URLs, names, the project and the log directory."""
        return {
            "project": self.options.project,
            "sandbox": self.sandbox_url,
            "secretManager": self.secret_manager_endpoint,
            "pubsubEmulatorHost": self.pubsub_host,
            "functions": {spec.label: self.function_url(spec.label) for spec in FUNCTIONS},
            "integrationId": INTEGRATION_ID,
            "logDir": str(self.log_dir),
            "envFiles": {spec.label: str(self.env_file(spec.label)) for spec in FUNCTIONS},
            "processes": {
                name: {"pid": p.last_pid, "port": p.port, "log": str(p.log_path)}
                for name, p in self.processes.items()
            },
            "pid": os.getpid(),
        }

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
