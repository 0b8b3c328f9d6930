"""Secrets a deployed function reads from mounted files, read here by their Secret Manager names.

A deployment with Terraform's ``mount_secrets`` (the default) gives its functions
``ROIT_CREDENTIALS_FILE=/etc/secrets/…`` (and ``ROIT_WEBHOOK_SECRETS_FILE`` for reprocess): a
file the platform fills from Secret Manager inside the function only. On an operator's machine
that path does not exist, so roitctl maps each such ``ROIT_*_FILE`` back to the secret mounted
there, from the function's ``serviceConfig.secretVolumes`` (``mountPath``, ``projectId``,
``secret``, ``versions[].path`` / ``.version``), and reads it as ``ROIT_*_SECRET`` with the
Secret Manager client, with the operator's credentials.

Without the function's configuration (an env file, this shell) a mounted path only says where
the secret is mounted: :func:`absent_mount` tells such a path from a local file, and
:func:`conventional_secret` names the secret Terraform mounts there (``/etc/secrets/<secret>``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

__all__ = [
    "MOUNT_ROOT",
    "MountedSecret",
    "absent_mount",
    "by_name",
    "by_name_variable",
    "conventional_secret",
    "mounted_secrets",
]

MOUNT_ROOT = "/etc/secrets"
"""Where Terraform mounts each secret, in a directory named after it (terraform/functions.tf's
``secret_delivery``; tests/roitctl hold the two together)."""


def by_name_variable(variable: str) -> str:
    """The variable naming the same secret for the client library:
    ``ROIT_CREDENTIALS_FILE`` -> ``ROIT_CREDENTIALS_SECRET``."""
    return variable.removesuffix("_FILE") + "_SECRET"


@dataclass(frozen=True)
class MountedSecret:
    """A ``ROIT_*_FILE`` of a deployed function and the secret mounted at its path.

    Attributes:
        variable: ``ROIT_CREDENTIALS_FILE`` …
        path: the file in the function (``/etc/secrets/roit-api-credentials/credentials.json``).
        secret: the version mounted there, ``projects/P/secrets/S/versions/V``.
    """

    variable: str
    path: str
    secret: str

    @property
    def by_name(self) -> str:
        """The variable that names the secret instead (``ROIT_CREDENTIALS_SECRET``)."""
        return by_name_variable(self.variable)

    @property
    def secret_id(self) -> str:
        """The secret's short name (``roit-api-credentials``)."""
        return self.secret.split("/")[3]

    def describe(self) -> str:
        """``mounted at PATH in the function; read as secret NAME``."""
        return f"mounted at {self.path} in the function; read as secret {self.secret}"


def _mounted_at(path: str, volume: Mapping[str, Any]) -> str | None:
    """The version of ``volume``'s secret whose file is ``path``, else ``None``.

    A version's ``path`` is relative to ``mountPath`` (the API accepts it with or without a
    leading ``/``); with no ``versions`` the latest is mounted in a file named after the secret.
    """
    mount = PurePosixPath(str(volume.get("mountPath") or "/"))
    wanted = PurePosixPath(path)
    if mount == PurePosixPath("/") or mount not in wanted.parents:
        return None
    relative = wanted.relative_to(mount)
    versions = volume.get("versions") or []
    if not versions:
        return "latest" if str(relative) == str(volume.get("secret")) else None
    for version in versions:
        if PurePosixPath(str(version.get("path") or "").lstrip("/")) == relative:
            return str(version.get("version") or "latest")
    return None


def mounted_secrets(
    environment: Mapping[str, str], volumes: Iterable[Mapping[str, Any]], project: str
) -> list[MountedSecret]:
    """Each ``ROIT_*_FILE`` of ``environment`` that points into one of ``volumes`` (the
    function's ``serviceConfig.secretVolumes`` as the Functions API answers them), with the
    secret version mounted there. ``project``: the function's, for a volume without
    ``projectId`` (the API's default: the secret is in the function's project)."""
    volumes = list(volumes)
    found = []
    for variable, path in sorted(environment.items()):
        if not (variable.upper().startswith("ROIT_") and variable.upper().endswith("_FILE")):
            continue
        for volume in volumes:
            version = _mounted_at(path, volume)
            if version is None:
                continue
            where = volume.get("projectId") or project
            name = f"projects/{where}/secrets/{volume.get('secret')}/versions/{version}"
            found.append(MountedSecret(variable.upper(), path, name))
            break
    return found


def by_name(environment: Mapping[str, str], mounted: Iterable[MountedSecret]) -> dict[str, str]:
    """``environment`` with each mounted ``ROIT_*_FILE`` replaced by ``ROIT_*_SECRET`` naming
    the secret mounted there: what an operator's machine can read."""
    env = dict(environment)
    for secret in mounted:
        for key in [k for k in env if k.upper() == secret.variable]:
            del env[key]
        env[secret.by_name] = secret.secret
    return env


def absent_mount(path: str) -> bool:
    """``path`` is a mount of another machine: its directory does not exist here (a file missing
    from a directory that does exist is a local mistake, reported as such)."""
    return os.path.isabs(path) and not os.path.isdir(os.path.dirname(path))


def conventional_secret(path: str) -> str | None:
    """The secret Terraform mounts at ``path`` (``/etc/secrets/<secret>/<file>``), else ``None``."""
    parts = PurePosixPath(path).parts
    root = PurePosixPath(MOUNT_ROOT).parts
    if len(parts) == len(root) + 2 and parts[: len(root)] == root:
        return parts[len(root)]
    return None
