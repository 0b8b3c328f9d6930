"""Factories for the local stack's processes: the ROIT sandbox, the real Pub/Sub emulator,
the Secret Manager stand-in and the functions under functions-framework.

Each returns a not-yet-started :class:`~devstack.processes.managed.ManagedProcess` with its
readiness checks set; use it as a context manager, or `start()` / `wait_ready()` / `stop()`.

Every one of them says which port it bound, once it has bound it: the sandbox and the Secret
Manager stand-in print their URL (they may be given port 0 and choose one), the emulator prints
"Server started, listening on PORT". A function is the exception: gunicorn says "Listening at:
URL" only at log level `info`, and functions-framework deploys it at `error` -- raising it would
also log gunicorn's own warnings, which quote what a caller sent (an invalid header's name), unlike
the cloud. So a function is ready when its worker answers `/robots.txt` on the port it was given
(gunicorn exits if it cannot bind it). The emulator must also answer `GET /`: its line comes before
it serves.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping

from devstack.processes.managed import (
    LOOPBACK,
    REPO_ROOT,
    ManagedProcess,
    ProcessStartError,
    free_port,
    port_is_open,
)

__all__ = [
    "GCLOUD_INSTALL_HINT",
    "REPO_ROOT",
    "ManagedProcess",
    "ProcessStartError",
    "ToolMissingError",
    "find_gcloud",
    "free_port",
    "function_process",
    "port_is_open",
    "pubsub_emulator_process",
    "sandbox_process",
    "secret_manager_process",
]

GCLOUD_INSTALL_HINT = (
    "the Google Cloud CLI with the Pub/Sub emulator and a Java runtime (>= 11): "
    "https://cloud.google.com/sdk/docs/install, then "
    "`gcloud components install pubsub-emulator beta` "
    "(or `apt-get install google-cloud-cli-pubsub-emulator default-jre-headless`)"
)


class ToolMissingError(RuntimeError):
    """An external tool the stack needs (gcloud, java) is not installed."""


def _cli_flags(options: Mapping[str, object]) -> list[str]:
    """`{"token_ttl_s": 60, "verbose": True}` -> `["--token-ttl-s=60", "--verbose"]` (one word
    per value: a value that starts with `-`, as a random secret may, is not read as a flag)."""
    flags: list[str] = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            flags.append(flag)
        elif isinstance(value, list | tuple):
            flags += [f"{flag}={item}" for item in value]
        else:
            flags.append(f"{flag}={value}")
    return flags


def sandbox_process(port: int | None = None, **cli_options: object) -> ManagedProcess:
    """The ROIT sandbox, `python -m sandbox --port P ...` (options become `--flags`); port
    None or 0: it binds a free port and says which."""
    port = port or 0
    argv = [sys.executable, "-m", "sandbox", "--port", str(port), *_cli_flags(cli_options)]
    return ManagedProcess(
        "sandbox",
        argv,
        port=port,
        health_path="/_sandbox/health",
        port_report=r"ROIT sandbox listening on http://[^\s]+:(?P<port>\d+)",
    )


def secret_manager_process(port: int | None = None) -> ManagedProcess:
    """The local Secret Manager stand-in, `python -m devstack.processes.secret_manager --port P`
    (port None or 0: it binds a free port and says which)."""
    port = port or 0
    argv = [sys.executable, "-m", "devstack.processes.secret_manager", "--port", str(port)]
    return ManagedProcess(
        "secret-manager",
        argv,
        port=port,
        port_report=r"Secret Manager stand-in listening on http://[^\s]+:(?P<port>\d+)",
    )


def find_gcloud() -> str:
    """Path of the `gcloud` executable, after checking Java is there too.

    Raises:
        ToolMissingError: gcloud or java is missing; the message says what to install.
    """
    gcloud = os.environ.get("ROIT_GCLOUD") or shutil.which("gcloud")
    if not gcloud:
        raise ToolMissingError(f"`gcloud` not found on PATH. Install {GCLOUD_INSTALL_HINT}.")
    if not shutil.which("java"):
        raise ToolMissingError(f"`java` not found on PATH. Install {GCLOUD_INSTALL_HINT}.")
    return gcloud


def pubsub_emulator_process(port: int | None = None, project: str = "roit-local") -> ManagedProcess:
    """The real Pub/Sub emulator (`gcloud beta emulators pubsub start`), with fresh data.

    Raises:
        ToolMissingError: gcloud or java is missing.
    """
    gcloud = find_gcloud()
    port = port or free_port()
    data_dir = tempfile.mkdtemp(prefix="roit-pubsub-")
    argv = [
        gcloud,
        "beta",
        "emulators",
        "pubsub",
        "start",
        f"--host-port={LOOPBACK}:{port}",
        f"--project={project}",
        f"--data-dir={data_dir}",
        "--quiet",
    ]
    return ManagedProcess(
        "pubsub-emulator",
        argv,
        port=port,
        env={"CLOUDSDK_CORE_DISABLE_PROMPTS": "1"},
        port_report=r"Server started, listening on (?P<port>\d+)",
        health_path="/",
        scratch_dirs=[data_dir],
    )


def function_process(
    name: str,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    *,
    label: str | None = None,
) -> ManagedProcess:
    """One function under functions-framework; `name` is its folder and entry point.

    `label` names the process when one function runs twice (`reprocess-webhook`).
    """
    port = port or free_port()
    argv = [
        sys.executable,
        "-m",
        "functions_framework",
        "--target",
        name,
        "--source",
        str(REPO_ROOT / "functions" / name / "main.py"),
        "--port",
        str(port),
        "--host",
        LOOPBACK,
    ]
    # functions-framework answers /robots.txt with 404 without calling the function: once it
    # does, a worker serves requests (main.py was imported, settings validated, before gunicorn
    # bound the port). gunicorn keeps functions-framework's log level, as deployed (see above).
    return ManagedProcess(
        label or name,
        argv,
        port=port,
        env=env,
        health_path="/robots.txt",
        health_statuses=range(200, 500),
    )
