"""The processes every figure runs against, started once per benchmark run.

* the ROIT sandbox, the real Pub/Sub emulator and the Secret Manager stand-in
  (``devstack.processes.factories``), started in parallel;
* the credentials secret in the stand-in, written with the real client;
* the topics the functions publish to, on the emulator (no subscription: nothing is kept, so
  the emulator's memory does not grow over the run; every publish is still acknowledged);
* the functions in the deployed shape: ``python -m functions_framework --target F --source
  functions/F/main.py`` (gunicorn, like the deployed runtime), credentials from the Secret
  Manager stand-in, ``PUBSUB_EMULATOR_HOST`` for the functions that publish;
* the anchor: a functions-framework hello-world (``benchmarks/anchors/hello.py``) started by
  the same command;
* for the idempotency store's figures only (:mod:`benchmarks.store`), the real Firestore
  emulator (``devstack.processes.firestore_emulator``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.measure import gunicorn_worker, reset_peak, rss_kib, tree_cpu_s
from devstack.processes.factories import (
    free_port,
    function_process,
    pubsub_emulator_process,
    sandbox_process,
    secret_manager_process,
)
from devstack.processes.firestore_emulator import firestore_emulator_process
from devstack.processes.managed import REPO_ROOT, ManagedProcess
from devstack.processes.secret_client import local_client, put_secret
from sandbox.control import SandboxControl

__all__ = [
    "ANCHOR_SOURCE",
    "FUNCTIONS",
    "INTEGRATION_ID",
    "PROJECT",
    "BenchStack",
    "Instance",
    "hello_instance",
    "peer_instance",
]

PROJECT = "roit-local"
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
CREDENTIALS_SECRET = "roit-api-credentials"
PENDING_TOPIC = "roit-pending"
ANCHOR_TOPIC = "bench-anchor"
ANCHOR_SOURCE = Path(__file__).resolve().parent / "anchors" / "hello.py"
PEERS = Path(__file__).resolve().parent / "anchors" / "peers"
SECRET_TTL_S = 3600  # longer than any run: one read per instance is the expectation

FUNCTIONS = ("poll_pending", "update_status", "register_delivery", "reprocess", "get_attachments")
"""Every function, in the order the tables list them (reprocess runs as the IAM deployment)."""

# Each function's own settings, on top of the common ones (as Terraform deploys them).
_OWN_ENV: dict[str, dict[str, str]] = {
    "poll_pending": {
        "ROIT_PENDING_TOPIC": PENDING_TOPIC,
        "ROIT_DEAD_LETTER_TOPIC": f"{PENDING_TOPIC}-dead-letter",
    },
    "update_status": {"ROIT_DEAD_LETTER_TOPIC": "roit-status-dead-letter"},
    "register_delivery": {"ROIT_DEAD_LETTER_TOPIC": "roit-deliveries-dead-letter"},
    "reprocess": {"ROIT_REPROCESS_CALLER_AUTH": "iam"},
    "get_attachments": {},
}
PUBLISHERS = frozenset({"poll_pending", "update_status", "register_delivery"})
TOPICS = (
    PENDING_TOPIC,
    f"{PENDING_TOPIC}-dead-letter",
    "roit-status-dead-letter",
    "roit-deliveries-dead-letter",
    ANCHOR_TOPIC,
)


@dataclass
class Instance:
    """One functions-framework process (a connector function or the hello-world anchor)."""

    name: str
    process: ManagedProcess
    started_at: float = 0.0
    _worker: int | None = None

    @property
    def url(self) -> str:
        return self.process.url + "/"

    def start(self) -> Instance:
        """Spawn the process (not waiting for anything); records the spawn time."""
        self.started_at = time.perf_counter()
        self.process.start()
        return self

    def wait_ready(self, timeout_s: float = 60.0) -> Instance:
        self.process.wait_ready(timeout_s)
        return self

    @property
    def worker(self) -> int:
        """The gunicorn worker's pid (functions-framework runs a master and one worker)."""
        if self._worker is None:
            assert self.process.pid is not None, "not started"
            self._worker = gunicorn_worker(self.process.pid)
        return self._worker

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the worker, KiB."""
        return rss_kib(self.worker)

    def reset_peak(self) -> bool:
        return reset_peak(self.worker)

    def cpu_s(self) -> float:
        return tree_cpu_s(self.worker)

    def running(self) -> bool:
        return self.process.running()

    def log_tail(self, lines: int = 30) -> str:
        return self.process.log_tail(lines)

    def stop(self) -> None:
        """Kill the process group at once (nothing in it is worth a graceful stop: gunicorn's
        takes up to a second), then let ``ManagedProcess`` reap it and remove its files."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        self.process.stop()


@dataclass
class BenchStack:
    """Sandbox, emulator and Secret Manager stand-in, plus what each function needs."""

    sandbox: ManagedProcess
    emulator: ManagedProcess
    secrets: ManagedProcess
    control: SandboxControl
    scratch: Path
    firestore: ManagedProcess | None = None  # started for the store's figures only
    _token: str | None = None

    @property
    def credentials_file(self) -> Path:
        """The credentials secret as Terraform mounts it (``ROIT_CREDENTIALS_FILE``)."""
        return self.scratch / "credentials.json"

    @classmethod
    def start(cls, *, store: bool = False) -> BenchStack:
        """Start the services in parallel (the Firestore emulator too if ``store``) and fill
        the secret and the topics."""
        processes = [
            sandbox_process(seed=0, seed_master=0, seed_received=0),
            pubsub_emulator_process(project=PROJECT),
            secret_manager_process(),
            *([firestore_emulator_process(project=PROJECT)] if store else []),
        ]
        try:
            for process in processes:
                process.start()
            sandbox, emulator, secrets, *stores = processes
            for process in (sandbox, secrets, emulator, *stores):
                process.wait_ready(120)
        except BaseException:
            for process in processes:
                process.stop()
            raise
        scratch = Path(tempfile.mkdtemp(prefix="bench-"))
        control = SandboxControl(sandbox.url)
        firestore = stores[0] if stores else None
        stack = cls(sandbox, emulator, secrets, control, scratch, firestore)
        try:
            stack._fill()
        except BaseException:
            stack.stop()
            raise
        return stack

    def _fill(self) -> None:
        creds = self.control.credentials()
        value = json.dumps({"client_id": creds.client_id, "client_secret": creds.client_secret})
        client = local_client(self.secrets.url)
        put_secret(client, PROJECT, CREDENTIALS_SECRET, value)
        self.credentials_file.write_text(value)
        self.credentials_file.chmod(0o600)
        # The bench process publishes too (the raw publish anchor): the same client library
        # the connector uses finds the emulator the same way.
        os.environ["PUBSUB_EMULATOR_HOST"] = self.pubsub_host
        from google.pubsub_v1 import PublisherClient

        publisher = PublisherClient()
        for topic in TOPICS:
            publisher.create_topic(name=f"projects/{PROJECT}/topics/{topic}")
        publisher.transport.close()

    def stop(self) -> None:
        self.control.close()
        for process in (self.sandbox, self.emulator, self.secrets, self.firestore):
            if process is not None:
                process.stop()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- addresses and counters ----------------------------------------------------------
    @property
    def pubsub_host(self) -> str:
        return f"{self.emulator.host}:{self.emulator.port}"

    @property
    def pids(self) -> dict[str, int]:
        """The services' process-group leaders (the emulator's Java runs under gcloud)."""
        pids = {"sandbox": self.sandbox.pid, "emulator": self.emulator.pid}
        return {name: pid for name, pid in pids.items() if pid is not None}

    def token(self) -> str:
        """A sandbox token for the anchors' direct calls (one exchange per run)."""
        if self._token is None:
            self._token = self.control.issue_token()
        return self._token

    def token_exchanges(self) -> int:
        return self.control.stats()["tokenExchanges"]

    def secret_reads(self) -> int:
        """Successful reads of the credentials secret since the stand-in started."""
        answer = httpx.get(self.secrets.url + "/_standin/stats", timeout=10).json()
        name = f"projects/{PROJECT}/secrets/{CREDENTIALS_SECRET}"
        return int(answer["accessCount"].get(name, 0))

    # -- functions ---------------------------------------------------------------------------
    def function_env(self, name: str, **extra: str) -> dict[str, str]:
        """The deployed shape's environment: credentials from Secret Manager, the publisher's
        emulator for functions that publish, log level as deployed (INFO)."""
        env = {
            "ROIT_BASE_URL": self.sandbox.url,
            "ROIT_INTEGRATION_ID": INTEGRATION_ID,
            "ROIT_GCP_PROJECT": PROJECT,
            "ROIT_CREDENTIALS_SECRET": CREDENTIALS_SECRET,
            "ROIT_SECRET_MANAGER_ENDPOINT": self.secrets.url,
            "ROIT_SECRET_TTL_S": str(SECRET_TTL_S),
            **_OWN_ENV[name],
            **extra,
        }
        if name in PUBLISHERS:
            env["PUBSUB_EMULATOR_HOST"] = self.pubsub_host
        return env

    def function(self, name: str, env: Mapping[str, str] | None = None) -> Instance:
        """A connector function, not started (``devstack.processes.factories.function_process``)."""
        process = function_process(name, env=env if env is not None else self.function_env(name))
        return Instance(name, process)


def _anchor(label: str, target: str, source: Path, env: Mapping[str, str] | None) -> Instance:
    """A non-connector function under functions-framework, started by the same command."""
    port = free_port()
    template = function_process("get_attachments", port=port)
    argv = list(template.argv)
    argv[argv.index("--target") + 1] = target
    argv[argv.index("--source") + 1] = str(source)
    process = ManagedProcess(
        label,
        argv,
        port=port,
        env=env,
        cwd=REPO_ROOT,
        health_path="/robots.txt",
        health_statuses=range(200, 500),
    )
    return Instance(label, process)


def hello_instance() -> Instance:
    """The floor: a functions-framework hello-world started by the same command."""
    return _anchor("hello", "hello", ANCHOR_SOURCE, None)


def peer_instance(name: str, env: Mapping[str, str]) -> Instance:
    """The hand-written peer of function ``name`` (``benchmarks/anchors/peers``), with the
    same environment as the connector's."""
    return _anchor(f"{name}-peer", name, PEERS / f"{name}.py", env)
