"""The server in front of the functions, made to protect the instance (issue 22 §6).

functions-framework runs gunicorn with ``limit_request_line = 0`` (no limit at all: a 64 MiB
request line was read whole, for minutes) and offers no setting for it. Cloud Run's front end
documents no limit on the request line or headers and no buffering of slow clients
(docs/DESIGN.md, "The front door"), so the instance sets its own, before functions-framework
builds the server (:func:`harden_server`, called when a function's runtime is created):

* the request line at most :data:`MAX_REQUEST_LINE` bytes (414), at most
  :data:`MAX_HEADER_FIELDS` headers of at most :data:`MAX_HEADER_FIELD_BYTES` each (431);
* a framing error (a bad request line, header or chunked encoding) answered with the JSON
  error shape every function uses, naming the kind of error only: gunicorn's HTML page quoted
  the offending request line back.
"""

from __future__ import annotations

import json
import socket
from typing import Any

__all__ = ["MAX_HEADER_FIELDS", "MAX_HEADER_FIELD_BYTES", "MAX_REQUEST_LINE", "harden_server"]

MAX_REQUEST_LINE = 4094
"""Bytes of the request line (method, path, version): the connector's paths are a few bytes."""

MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190

LIMITS: dict[str, int] = {
    "limit_request_line": MAX_REQUEST_LINE,
    "limit_request_fields": MAX_HEADER_FIELDS,
    "limit_request_field_size": MAX_HEADER_FIELD_BYTES,
}
_installed = False


def json_error(status: int, reason: str) -> bytes:
    """A whole HTTP/1.1 answer for a request the server could not read, in the JSON shape."""
    code = "invalid_input" if status < 500 else "internal"  # the functions' own codes
    body = json.dumps({"error": {"code": code, "message": reason}}, separators=(",", ":"))
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return (head + body).encode("latin-1")


def _write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    from gunicorn import util

    util.write_nonblock(sock, json_error(status_int, reason))  # ``mesg`` may quote the request


def harden_server() -> None:
    """Make functions-framework's gunicorn apply :data:`LIMITS` and answer framing errors in
    JSON (idempotent; nothing happens where functions-framework or gunicorn is absent)."""
    global _installed
    if _installed:
        return
    try:
        from functions_framework._http import gunicorn as ff_gunicorn
        from gunicorn import util
    except ImportError:  # pragma: no cover - not served by functions-framework
        return
    original = ff_gunicorn.GunicornApplication.load_config

    def load_config(self: Any) -> None:
        original(self)  # type: ignore[no-untyped-call]
        for key, value in LIMITS.items():
            self.cfg.set(key, value)

    ff_gunicorn.GunicornApplication.load_config = load_config  # type: ignore[method-assign]
    util.write_error = _write_error
    _installed = True
