"""The local stack: sandbox, Pub/Sub and Firestore emulators, Secret Manager stand-in, functions.

    with LocalStack(StackOptions()) as stack:
        stack.function_url("poll_pending")

Start order: the three services (in parallel), the secrets, the Pub/Sub wiring (push
endpoints point at the functions' ports, chosen up front), then the six function processes
(in parallel). Any failure stops everything already started; `stop()` ends every process group
and frees every port.

For fault drills (`python -m devstack soak`): `StackOptions.pollers` runs poll_pending as
several deployments (`poll_pending`, `poll_pending-2`, ...); any process can be killed and
started again on its port (`processes[label].kill()`, `start_function(label)`); the emulator
can be stopped and started again on its port (`stop_emulator()`, `start_emulator()`: the
emulator keeps nothing across a restart, so the topics and subscriptions are created again);
`put_credentials()` adds a version to the credentials secret.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from devstack.processes.factories import (
    ManagedProcess,
    function_process,
    pubsub_emulator_process,
    sandbox_process,
    secret_manager_process,
)
from devstack.processes.firestore_emulator import (
    STORE_SERVICE,
    firestore_emulator_process,
    store_env,
)
from devstack.processes.secret_client import create_secret, local_client, put_secret
from devstack.stack import wiring
from devstack.stack.layout import (
    CREDENTIALS_SECRET,
    FUNCTIONS,
    INTEGRATION_ID,
    SANDBOX_CLIENT_ID,
    WEBHOOK_SECRETS_SECRET,
    FunctionSpec,
    StackOptions,
    function_specs,
    mount_secret,
    mounted_env,
    new_webhook_secret,
    port_layout,
)

__all__ = ["LocalStack"]


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
        self.functions = function_specs(self.options.pollers)
        self._ports = port_layout(self.options.base_port, self.options.pollers)
        self.store_host = f"127.0.0.1:{self._ports[STORE_SERVICE]}"  # FIRESTORE_EMULATOR_HOST

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
            self.wire()
            self._start_functions()
        except BaseException:
            self.stop()
            raise
        return self

    def wire(self) -> None:
        """Create every topic and subscription on the emulator (as Terraform does)."""
        self.wiring = wiring.wire(
            self.pubsub_host,
            self.options.project,
            {s.target: self.function_url(s.label) for s in FUNCTIONS},
            retry_min_s=self.options.retry_min_s,
            retry_max_s=self.options.retry_max_s,
            push_max_delivery_attempts=self.options.push_max_delivery_attempts,
            erp_max_delivery_attempts=self.options.erp_max_delivery_attempts,
            erp_ack_deadline_s=self.options.erp_ack_deadline_s,
        )

    def _start_services(self) -> None:
        sandbox_cli: dict[str, object] = {
            "client_secret": self.options.client_secret,
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
            self._add(firestore_emulator_process(ports[STORE_SERVICE], self.options.project)),
        ]
        for process in started:
            process.wait_ready(timeout=90 if process.name.endswith("emulator") else 30)

    def _fill_secrets(self) -> None:
        client = local_client(self.secret_manager_endpoint)
        if not self.options.fill_secrets:  # as Terraform leaves them: no value yet
            for secret_id in (CREDENTIALS_SECRET, WEBHOOK_SECRETS_SECRET):
                create_secret(client, self.options.project, secret_id)
            return
        self.put_credentials(self.options.client_secret)
        put_secret(client, self.options.project, WEBHOOK_SECRETS_SECRET, self.webhook_secret)
        mount_secret(
            self.options, self.log_dir / "secrets", WEBHOOK_SECRETS_SECRET, self.webhook_secret
        )

    def put_credentials(self, client_secret: str) -> str:
        """Add a version of the credentials secret (the sandbox's client id, this secret);
        returns the version's name."""
        client = local_client(self.secret_manager_endpoint)
        credentials = {"client_id": SANDBOX_CLIENT_ID, "client_secret": client_secret}
        value = json.dumps(credentials)
        mount_secret(self.options, self.log_dir / "secrets", CREDENTIALS_SECRET, value)
        return put_secret(client, self.options.project, CREDENTIALS_SECRET, value)

    def function_env(self, spec: FunctionSpec) -> dict[str, str]:
        """The environment of one function process, as Terraform sets it (docs/configuration.md)."""
        env = {
            "ROIT_BASE_URL": self.sandbox_url,
            "ROIT_INTEGRATION_ID": INTEGRATION_ID,
            "ROIT_GCP_PROJECT": self.options.project,
            "ROIT_CREDENTIALS_SECRET": CREDENTIALS_SECRET,
            "ROIT_SECRET_MANAGER_ENDPOINT": self.secret_manager_endpoint,
            "ROIT_LOG_LEVEL": self.options.log_level,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            "GOOGLE_CLOUD_PROJECT": self.options.project,
            **store_env(spec.label, spec.target, self.store_host, self.options.idempotency_store),
            **self.options.function_env,
        }
        if spec.target == "poll_pending":
            env["ROIT_PENDING_TOPIC"] = wiring.PENDING_TOPIC
            env["ROIT_DEAD_LETTER_TOPIC"] = wiring.dead_letter_topic(wiring.PENDING_TOPIC)
            env["ROIT_POLL_TARGETS"] = self.options.poll_targets
            env["ROIT_POLL_TIME_BUDGET_S"] = str(self.options.poll_time_budget_s)
        env = {**env, **spec.env}
        return mounted_env(env, self.log_dir / "secrets") if self.options.mounted_secrets else env

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
            for spec in self.functions
        ]
        for process in started:
            process.wait_ready(timeout=60)

    def start_function(self, label: str, timeout: float = 60) -> ManagedProcess:
        """Start a function process again (after `kill()` / `stop()`) on its own port."""
        return self.processes[label].start().wait_ready(timeout)

    def stop_emulator(self) -> None:
        """Stop the Pub/Sub emulator. It keeps nothing across a restart (its data directory
        holds only its settings): every topic, subscription and message is gone."""
        self.processes["pubsub-emulator"].stop()

    def start_emulator(self, *, wire: bool = True) -> None:
        """Start the emulator again on its port and (unless `wire` is false: call `wire()`
        yourself) create every topic and subscription."""
        port = self._ports["pubsub-emulator"]
        self._add(pubsub_emulator_process(port, self.options.project)).wait_ready(timeout=90)
        if wire:
            self.wire()

    def stop(self) -> None:
        """Stop every process, functions first (in parallel), then the services.

        Raises:
            Exception: the first error of a `stop()`, after every process was stopped.
        """
        functions = {spec.label for spec in self.functions}
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
            "firestoreEmulatorHost": self.store_host,
            "functions": {spec.label: self.function_url(spec.label) for spec in self.functions},
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
