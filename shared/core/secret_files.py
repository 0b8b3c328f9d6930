"""Secrets mounted as files: what Cloud Run functions offer instead of a client library.

A secret mounted as a volume (``secret_volumes`` in Terraform, ``version = "latest"``) is a
file the platform fills from Secret Manager each time it is read, so a rotation is followed
without a redeploy, and nothing is imported to read it: no gRPC, protobuf or google-auth on
the cold path. :class:`MountedSecretProvider` reads a secret named by an absolute path from
that file, through the same TTL cache as every secret, and hands any other name to Secret
Manager's client (built only when such a name is read).

Failure semantics are those of Secret Manager's: a file that is missing, unreadable, empty or
not UTF-8 is a configuration error naming the variable (and the path), never the value.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.core.secrets import SecretAccessError, SecretManagerProvider, SecretProvider
from shared.core.settings import RoitSettings

__all__ = [
    "MAX_SECRET_FILE_BYTES",
    "MountedSecretProvider",
    "is_mounted",
    "provider_for",
    "read_mounted",
]

MAX_SECRET_FILE_BYTES = 64 * 1024
"""Secret Manager's own limit on a version's payload: anything larger is not a secret."""


def is_mounted(name: str) -> bool:
    """Whether ``name`` is a mounted file's path (Secret Manager names are never absolute)."""
    return os.path.isabs(name)


def read_mounted(path: str) -> str:
    """The secret in the file at ``path``, as text.

    Raises:
        SecretAccessError: missing, unreadable, too large, empty or not UTF-8 (a
            configuration failure; the message names the path and never the content).
    """
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SecretAccessError(f"secret file {path} cannot be read ({reason})") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SecretAccessError(
            f"secret file {path} is larger than {MAX_SECRET_FILE_BYTES} bytes: not a secret"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SecretAccessError(f"secret file {path} is not UTF-8 text") from None
    if not text.strip():
        raise SecretAccessError(f"secret file {path} is empty")
    return text


class MountedSecretProvider(SecretManagerProvider):
    """Mounted files by absolute path; Secret Manager (its client built on first use) by name.

    One cache for both: a file is read again only when its cached value is older than the TTL,
    or after :meth:`invalidate` (ROIT refused the credentials: perhaps they were rotated).
    """

    def _fetch(self, name: str) -> str:
        if is_mounted(name):
            return read_mounted(name)
        return super()._fetch(name)


def provider_for(settings: RoitSettings) -> SecretProvider:
    """The secret provider the settings describe: mounted files by path (no client library
    loaded for them), Secret Manager by name."""
    return MountedSecretProvider(
        project=settings.gcp_project,
        ttl_s=settings.secret_ttl_s,
        endpoint=settings.secret_manager_endpoint,
    )
