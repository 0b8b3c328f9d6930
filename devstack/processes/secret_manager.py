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
import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from devstack.processes.secret_store import ApiError, SecretStore

__all__ = ["main", "make_server"]

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
