"""The Secret Manager stand-in's state: secrets and their versions in memory, and the errors
it answers in Google's JSON shape (served by :mod:`devstack.processes.secret_manager`)."""

from __future__ import annotations

import base64
import binascii
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

import google_crc32c

__all__ = ["ApiError", "SecretStore"]


class ApiError(Exception):
    """An error answered in Google's shape `{"error": {code, message, status}}`."""

    def __init__(self, status: HTTPStatus, grpc_status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.grpc_status = grpc_status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "error": {"code": int(self.status), "message": self.message, "status": self.grpc_status}
        }


def _not_found(what: str) -> ApiError:
    return ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"{what} not found or has no versions.")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Version:
    number: int
    data: bytes
    created: str
    state: str = "ENABLED"
    destroyed: str | None = None


@dataclass
class _Secret:
    body: dict[str, Any]
    versions: list[_Version] = field(default_factory=list)


class SecretStore:
    """The in-memory secrets; every public method takes the path's named groups."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: dict[str, _Secret] = {}
        self.access_count: dict[str, int] = {}  # successful accesses per secret name

    def stats(self) -> dict[str, Any]:
        """`{"accessCount": {secret name: successful accesses}}` (not part of Google's API)."""
        with self._lock:
            return {"accessCount": dict(self.access_count)}

    def _secret(self, project: str, secret: str) -> tuple[str, _Secret]:
        name = f"projects/{project}/secrets/{secret}"
        if name not in self._secrets:
            raise _not_found(f"Secret [{name}]")
        return name, self._secrets[name]

    def _version(self, project: str, secret: str, version: str) -> tuple[str, _Version]:
        name, entry = self._secret(project, secret)
        if version == "latest" and entry.versions:
            return name, entry.versions[-1]
        found = [v for v in entry.versions if str(v.number) == version]
        if not found:
            raise _not_found(f"Secret Version [{name}/versions/{version}]")
        return name, found[0]

    @staticmethod
    def _version_body(secret_name: str, version: _Version) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"{secret_name}/versions/{version.number}",
            "createTime": version.created,
            "state": version.state,
            "etag": f'"{version.number}-{version.state}"',
            "clientSpecifiedPayloadChecksum": True,
        }
        if version.destroyed:
            body["destroyTime"] = version.destroyed
        return body

    def create_secret(
        self, project: str, body: dict[str, Any], query: dict[str, str]
    ) -> dict[str, Any]:
        secret_id = query.get("secretId", "")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", secret_id):
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "secretId is missing or invalid."
            )
        name = f"projects/{project}/secrets/{secret_id}"
        with self._lock:
            if name in self._secrets:
                raise ApiError(
                    HTTPStatus.CONFLICT, "ALREADY_EXISTS", f"Secret [{name}] already exists."
                )
            secret = {"replication": {"automatic": {}}, **body, "name": name, "createTime": _now()}
            secret["etag"] = '"1"'
            self._secrets[name] = _Secret(secret)
            return secret

    def list_secrets(self, project: str, **_: Any) -> dict[str, Any]:
        prefix = f"projects/{project}/secrets/"
        with self._lock:
            found = [s.body for n, s in sorted(self._secrets.items()) if n.startswith(prefix)]
        return {"secrets": found, "totalSize": len(found)}

    def get_secret(self, project: str, secret: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            return self._secret(project, secret)[1].body

    def delete_secret(self, project: str, secret: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            name, _entry = self._secret(project, secret)
            del self._secrets[name]
        return {}

    def add_version(self, project: str, secret: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = body.get("payload") or {}
        try:
            data = base64.b64decode(payload.get("data", ""), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ApiError(
                HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "payload.data is not base64."
            ) from exc
        given = payload.get("dataCrc32c")
        if given is not None and int(given) != google_crc32c.value(data):
            raise ApiError(
                HTTPStatus.BAD_REQUEST,
                "INVALID_ARGUMENT",
                "Checksum mismatch: payload.dataCrc32c does not match payload.data.",
            )
        with self._lock:
            name, entry = self._secret(project, secret)
            version = _Version(len(entry.versions) + 1, data, _now())
            entry.versions.append(version)
            return self._version_body(name, version)

    def list_versions(self, project: str, secret: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            name, entry = self._secret(project, secret)
            found = [self._version_body(name, v) for v in reversed(entry.versions)]
        return {"versions": found, "totalSize": len(found)}

    def get_version(self, project: str, secret: str, version: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            return self._version_body(*self._version(project, secret, version))

    def access_version(self, project: str, secret: str, version: str, **_: Any) -> dict[str, Any]:
        with self._lock:
            name, found = self._version(project, secret, version)
            if found.state != "ENABLED":
                raise ApiError(
                    HTTPStatus.BAD_REQUEST,
                    "FAILED_PRECONDITION",
                    f"Secret Version [{name}/versions/{found.number}] is in {found.state} state.",
                )
            self.access_count[name] = self.access_count.get(name, 0) + 1
            return {
                "name": f"{name}/versions/{found.number}",
                "payload": {
                    "data": base64.b64encode(found.data).decode("ascii"),
                    "dataCrc32c": str(google_crc32c.value(found.data)),
                },
            }

    def set_state(
        self, project: str, secret: str, version: str, action: str, **_: Any
    ) -> dict[str, Any]:
        with self._lock:
            name, found = self._version(project, secret, version)
            if found.state == "DESTROYED" and action != "destroy":
                raise ApiError(
                    HTTPStatus.BAD_REQUEST, "FAILED_PRECONDITION", "The version is destroyed."
                )
            found.state = {"enable": "ENABLED", "disable": "DISABLED"}.get(action, "DESTROYED")
            if action == "destroy":
                found.data, found.destroyed = b"", found.destroyed or _now()
            return self._version_body(name, found)
