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
  the offending request line back;
* a client that sends slowly cannot hold a thread: a request's head (request line and
  headers) must arrive within :data:`HEAD_READ_S` of its first byte (else 408 and the
  connection closes), and its body at :data:`MIN_BODY_BYTES_PER_S` on average after an
  allowance of :data:`BODY_GRACE_S` (else :class:`SlowClientError`, which the functions answer
  with a 408). gunicorn's threaded worker only bounds the wait for a request's *first* byte.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

__all__ = [
    "BODY_GRACE_S",
    "HEAD_READ_S",
    "MAX_HEADER_FIELDS",
    "MAX_HEADER_FIELD_BYTES",
    "MAX_REQUEST_LINE",
    "MIN_BODY_BYTES_PER_S",
    "SlowClientError",
    "harden_server",
]

MAX_REQUEST_LINE = 4094
"""Bytes of the request line (method, path, version): the connector's paths are a few bytes."""

MAX_HEADER_FIELDS = 100
MAX_HEADER_FIELD_BYTES = 8190

LIMITS: dict[str, int] = {
    "limit_request_line": MAX_REQUEST_LINE,
    "limit_request_fields": MAX_HEADER_FIELDS,
    "limit_request_field_size": MAX_HEADER_FIELD_BYTES,
}

HEAD_READ_S = 5.0
"""Seconds from a request's first byte to the end of its headers (gunicorn waits as long for
the first byte before giving the connection back to its poller)."""

BODY_GRACE_S = 5.0
MIN_BODY_BYTES_PER_S = 1024 * 1024
"""A body's deadline: :data:`BODY_GRACE_S` after the headers, plus one second per MiB received
(a 64 KiB webhook: 5.06 s; a 13 MB push message from Pub/Sub: about 17 s at the least)."""

_BUDGET = "_roit_read_budget"
_installed = False


class SlowClientError(TimeoutError):
    """The request body did not arrive in time (a 408; the connection is not reused)."""


class _ReadBudget:
    """When the request being read on one connection must have arrived."""

    __slots__ = ("body_from", "deadline", "received")

    def __init__(self) -> None:
        self.deadline = time.monotonic() + HEAD_READ_S
        self.body_from: float | None = None  # set once the headers are in
        self.received = 0

    def headers_read(self) -> None:
        self.body_from = time.monotonic()
        self.deadline = self.body_from + BODY_GRACE_S

    def count(self, size: int) -> None:
        if self.body_from is not None:
            self.received += size
            self.deadline = self.body_from + BODY_GRACE_S + self.received / MIN_BODY_BYTES_PER_S


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


def bounded_chunk(original: Any) -> Any:
    """Wrap ``SocketUnreader.chunk`` so that no read waits past the request's budget."""
    from gunicorn.http.errors import NoMoreData

    def chunk(self: Any, *args: Any, **kwargs: Any) -> bytes:
        budget: _ReadBudget | None = getattr(self, _BUDGET, None)
        if budget is None:
            return original(self, *args, **kwargs)  # type: ignore[no-any-return]
        sock = self.sock
        prior = sock.gettimeout()
        try:
            left = budget.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            data: bytes = original(self, *args, **kwargs)
        except TimeoutError:
            if budget.body_from is not None:
                raise SlowClientError("the request body arrived too slowly") from None
            _answer_quietly(sock, json_error(408, "Request Timeout"))
            raise NoMoreData(b"") from None  # gunicorn closes the connection without a word
        finally:
            sock.settimeout(prior)
        budget.count(len(data))
        return data

    return chunk


def budgeted_request(original: Any) -> Any:
    """Wrap ``Request.__init__`` (which reads the head) to start each request's budget."""

    def init(self: Any, cfg: Any, unreader: Any, *args: Any, **kwargs: Any) -> None:
        budget = _ReadBudget()
        if hasattr(unreader, "sock"):
            setattr(unreader, _BUDGET, budget)
        original(self, cfg, unreader, *args, **kwargs)
        budget.headers_read()

    return init


def unreadable_body_errors() -> tuple[type[BaseException], ...]:
    """What reading a request body that cannot be read raises under the servers we run on
    (a broken chunked encoding, a client gone or too slow)."""
    from werkzeug.exceptions import HTTPException

    errors: tuple[type[BaseException], ...] = (OSError, ValueError, HTTPException)
    try:  # gunicorn (functions-framework's server) reports broken chunked encoding so
        from gunicorn.http.errors import ParseException
    except ImportError:  # pragma: no cover - not every server is gunicorn
        return errors
    return (*errors, ParseException)


def answer_kept(original: Any) -> Any:
    """Wrap functions-framework's ``read_request``, which reads what is left of every request
    after the function answered: a body that cannot be read there (too slow, cut, malformed)
    keeps the answer given instead of turning it into a bare 500 (the connection closes)."""
    unreadable = unreadable_body_errors()

    def read_request(response: Any) -> Any:
        try:
            return original(response)
        except unreadable:
            return response

    return read_request


def _answer_quietly(sock: socket.socket, answer: bytes) -> None:
    try:
        sock.settimeout(0.0)
        sock.send(answer)
    except OSError:
        pass  # the client is gone or not reading: the connection closes anyway


def harden_server() -> None:
    """Make functions-framework's gunicorn apply :data:`LIMITS`, answer framing errors in JSON
    and bound how long a request may take to arrive (idempotent; nothing happens where
    functions-framework or gunicorn is absent)."""
    global _installed
    if _installed:
        return
    try:
        import functions_framework
        from functions_framework._http import gunicorn as ff_gunicorn
        from gunicorn import util
        from gunicorn.http import message, unreader
    except ImportError:  # pragma: no cover - not served by functions-framework
        return
    original = ff_gunicorn.GunicornApplication.load_config

    def load_config(self: Any) -> None:
        original(self)  # type: ignore[no-untyped-call]
        for key, value in LIMITS.items():
            self.cfg.set(key, value)

    ff_gunicorn.GunicornApplication.load_config = load_config  # type: ignore[method-assign]
    util.write_error = _write_error
    unreader.SocketUnreader.chunk = bounded_chunk(unreader.SocketUnreader.chunk)
    message.Request.__init__ = budgeted_request(message.Request.__init__)
    functions_framework.read_request = answer_kept(functions_framework.read_request)
    _installed = True
