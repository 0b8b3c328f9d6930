"""A local stand-in for Secret Manager's REST API v1, for the real client library.

Point `google-cloud-secret-manager` at it with::

    secretmanager.SecretManagerServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint="http://127.0.0.1:PORT"),
    )

Supported: create / get / list / delete secrets; add / get / list / access / enable / disable /
destroy versions (`latest` = the most recently created version, as in Google's API). Errors
use Google's JSON error shape and HTTP codes, so the client raises what it raises against
Google over REST: `NotFound` (404), `Conflict` (409), `BadRequest` (400). State lives in
memory. No authentication: loopback only.
Run: `python -m devstack.processes.secret_manager --port P`.

Not part of Google's API: `GET /_standin/stats` answers `{"accessCount": {secret name: n}}`,
the successful `access` calls per secret since start (the benchmarks count secret reads).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import google_crc32c

__all__ = ["ApiError", "SecretStore", "main", "make_server"]

_SECRET = r"projects/(?P<project>[^/:]+)/secrets/(?P<secret>[^/:]+)"
_VERSION = _SECRET + r"/versions/(?P<version>[^/:]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"projects/(?P<project>[^/:]+)/secrets"), "create_secret"),
    ("GET", re.compile(r"projects/(?P<project>[^/:]+)/secrets"), "list_secrets"),
    ("GET", re.compile(_SECRET), "get_secret"),
    ("DELETE", re.compile(_SECRET), "delete_secret"),
    ("POST", re.compile(_SECRET + r":addVersion"), "add_version"),
    ("GET", re.compile(_SECRET + r"/versions"), "list_versions"),
    ("GET", re.compile(_VERSION), "get_version"),
    ("GET", re.compile(_VERSION + r":access"), "access_version"),
    ("POST", re.compile(_VERSION + r":(?P<action>enable|disable|destroy)"), "set_state"),
]


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


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: one line per request would drown the stack's logs

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = unquote(parts.path)
        length = int(self.headers.get("Content-Length") or 0)
        if path == "/_standin/stats" and self.command == "GET":
            self._answer(200, self.server.store.stats())
            return
        try:
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            if not isinstance(body, dict):
                raise ApiError(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "Body must be JSON.")
            if not path.startswith("/v1/"):
                raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No such path {path}.")
            for method, pattern, operation in _ROUTES:
                match = pattern.fullmatch(path[len("/v1/") :])
                if method == self.command and match:
                    handler = getattr(self.server.store, operation)
                    extra = {"query": query} if operation == "create_secret" else {}
                    if operation in ("create_secret", "add_version"):
                        extra["body"] = body
                    self._answer(200, handler(**match.groupdict(), **extra))
                    return
            raise ApiError(HTTPStatus.NOT_FOUND, "NOT_FOUND", f"No such method or path {path}.")
        except json.JSONDecodeError:
            error = ApiError(HTTPStatus.BAD_REQUEST, "INVALID_ARGUMENT", "Body is not JSON.")
            self._answer(int(error.status), error.body())
        except ApiError as error:
            self._answer(int(error.status), error.body())

    do_GET = do_POST = do_DELETE = do_PATCH = _dispatch


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: SecretStore) -> None:
        super().__init__(address, _Handler)
        self.store = store


def make_server(host: str = "127.0.0.1", port: int = 0) -> _Server:
    """A threaded HTTP server holding a fresh store (port 0 = any free port)."""
    return _Server((host, port), SecretStore())


def main(argv: list[str] | None = None) -> None:
    """`python -m devstack.processes.secret_manager --port P`: serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port)
    port = server.server_address[1]
    print(f"Secret Manager stand-in listening on http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
