"""Where a command's settings come from: this shell, an env file, or a deployed function.

Every command runs in one *environment*, a plain ``{name: value}`` mapping, applied as the
process environment while the command runs (:func:`applied`), so the connector's own code
(settings, Secret Manager, the Pub/Sub client's ``PUBSUB_EMULATOR_HOST``) reads exactly what
the function would. An env file or a deployed function replaces every ``ROIT_*`` variable of
the shell; the shell's other variables (``PATH``, ``GOOGLE_APPLICATION_CREDENTIALS`` …) stay.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roitctl.mounted import MountedSecret, mounted_secrets

__all__ = [
    "Deployment",
    "EnvFileError",
    "applied",
    "command_environment",
    "deployed_environment",
    "deployment_of",
    "described_function",
    "read_env_file",
]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvFileError(ValueError):
    """An env file that cannot be read (the message names the line, never a value)."""


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines (``#`` comments, blank lines, an optional ``export``, values in
    single or double quotes), a JSON object of strings, or a function as
    ``gcloud functions describe NAME --format=json`` prints it (its environment variables).

    Raises:
        EnvFileError: unreadable, or a line that is not ``KEY=VALUE``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"{path}: cannot be read ({type(exc).__name__})") from None
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            raise EnvFileError(f"{path}: not a JSON object of strings") from None
        if isinstance(doc, dict) and isinstance(doc.get("serviceConfig"), dict):
            doc = doc["serviceConfig"].get("environmentVariables", {})  # a function, described
        if not isinstance(doc, dict) or not all(isinstance(v, str) for v in doc.values()):
            raise EnvFileError(f"{path}: not a JSON object of strings")
        return {str(k): v for k, v in doc.items()}
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            raise EnvFileError(f"{path}:{number}: not KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def described_function(path: Path) -> Deployment | None:
    """The function in ``path`` when it is one as ``gcloud functions describe NAME
    --format=json`` prints it (its environment, entry point and mounted secrets), else ``None``.

    Raises:
        EnvFileError: unreadable.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"{path}: cannot be read ({type(exc).__name__})") from None
    if not text.lstrip().startswith("{"):
        return None
    try:
        doc = json.loads(text)
    except ValueError:
        return None  # read_env_file says what is wrong with it
    if isinstance(doc, dict) and isinstance(doc.get("serviceConfig"), dict):
        return deployment_of(doc)
    return None


def command_environment(
    shell: Mapping[str, str], overlay: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a command runs in: the shell's, or with ``overlay`` (an env file, a
    deployed function) in place of every ``ROIT_*`` variable of the shell."""
    if overlay is None:
        return dict(shell)
    kept = {k: v for k, v in shell.items() if not k.upper().startswith("ROIT_")}
    return {**kept, **overlay}


@contextmanager
def applied(env: Mapping[str, str]) -> Iterator[None]:
    """Run with ``env`` as the whole process environment; the previous one comes back after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True)
class Deployment:
    """What a deployed function runs with, as far as its configuration says."""

    name: str
    entry_point: str | None
    environment: dict[str, str]
    secret_variables: list[str] = field(default_factory=list)
    """Variables set from Secret Manager by the runtime (their values are not in the
    configuration, so they are not in ``environment``)."""
    mounted: list[MountedSecret] = field(default_factory=list)
    """The ``ROIT_*_FILE`` variables of ``environment`` that point into a secret volume: the
    secrets doctor reads by name (:mod:`roitctl.mounted`)."""


def deployment_of(function: dict[str, Any]) -> Deployment:
    """The environment of a Cloud Functions v2 ``Function`` resource, as the REST API answers
    it (and as ``gcloud functions describe --format=json`` prints it)."""
    service = function.get("serviceConfig") or {}
    build = function.get("buildConfig") or {}
    name = str(function.get("name", ""))  # projects/P/locations/R/functions/N
    environment = {str(k): str(v) for k, v in (service.get("environmentVariables") or {}).items()}
    project = name.split("/")[1] if name.startswith("projects/") else ""
    return Deployment(
        name=name.rsplit("/", 1)[-1],
        entry_point=str(build.get("entryPoint") or "") or None,
        environment=environment,
        secret_variables=sorted(
            str(s.get("key")) for s in service.get("secretEnvironmentVariables") or []
        ),
        mounted=mounted_secrets(environment, service.get("secretVolumes") or [], project),
    )


def deployed_environment(name: str, *, project: str, region: str) -> Deployment:
    """Read a deployed function's configuration with Application Default Credentials.

    The Cloud Functions v2 REST API is called through google-auth's authorized session: the
    ``google-cloud-functions`` client library would share ``google.cloud.functions`` with
    functions-framework's own module and make every local function import it (~145 ms).

    Raises:
        requests.HTTPError: the API refused (not found, forbidden).
        google.auth.exceptions.DefaultCredentialsError: no credentials.
    """
    import google.auth
    from google.auth.transport.requests import AuthorizedSession

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    path = (
        name
        if name.startswith("projects/")
        else (f"projects/{project}/locations/{region}/functions/{name}")
    )
    answer = AuthorizedSession(credentials).get(  # type: ignore[no-untyped-call]
        f"https://cloudfunctions.googleapis.com/v2/{path}", timeout=30
    )
    answer.raise_for_status()
    return deployment_of(answer.json())
