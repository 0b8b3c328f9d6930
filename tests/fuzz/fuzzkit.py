"""The fuzz tier's tools: raw HTTP over a socket, a function process under test, the checks.

Requests are written byte for byte on a fresh TCP connection (``Connection: close``), so a test
can send what no HTTP library would: a body shorter or longer than its ``Content-Length``,
broken chunked encoding, odd header bytes, any method. The answer is read with
``http.client.HTTPResponse`` on the same socket.

:class:`FunctionUnderTest` wraps one function's ``functions-framework`` process and reads its
log (stdout and stderr: the functions log JSON lines to stdout) from where the last example
stopped, so every example's answer *and* log lines are checked.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import event, settings
from hypothesis.control import currently_in_test_context

from devstack.processes.managed import ManagedProcess

PROFILE = os.environ.get("FUZZ_PROFILE", "fuzz-ci")
SCALE = int(os.environ.get("FUZZ_SCALE", "20")) if PROFILE == "fuzz-deep" else 1
"""How many times the CI budget a run spends (``make fuzz``: ``FUZZ_PROFILE=fuzz-deep``)."""


WEBHOOK_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
"""The webhook deployment's current secret (a second one, being rotated out, also signs)."""
SECOND_WEBHOOK_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
DELIVERY_BATCH = 3
"""register_delivery's ``ROIT_DELIVERY_MAX_BATCH`` here: most deliveries take several calls."""


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>`` over ``id.timestamp.body`` (Standard Webhooks, the reference library).
    A body that is not UTF-8 is signed over its text with replacement characters (the function
    refuses such a body as unsigned, whatever the signature)."""
    from datetime import UTC, datetime

    import standardwebhooks

    moment = datetime.fromtimestamp(timestamp, UTC)
    text = body.decode("utf-8", errors="replace")
    return str(standardwebhooks.Webhook(secret).sign(webhook_id, moment, text))


def valid_for(model: Any, body: Any) -> Any:
    """The model's verdict on a body generated from its own JSON Schema.

    The schema cannot say that strings are stripped before their length is checked
    (``str_strip_whitespace``), so it admits a blank-only required string that the model
    refuses; such an example is not a valid input and is rejected (not counted). Any other
    refusal is a disagreement between the schema and the model, and fails the test.
    """
    from hypothesis import reject
    from pydantic import ValidationError

    try:
        return model.model_validate(body)
    except ValidationError as exc:
        blank = all(
            e["type"] == "string_too_short"
            and isinstance(e["input"], str)
            and not e["input"].strip()
            for e in exc.errors()
        )
        if blank:
            reject()
        raise


def note(outcome: str) -> None:
    """Count an outcome in Hypothesis' statistics (``--hypothesis-show-statistics``)."""
    if currently_in_test_context():
        event(outcome)


def budget(examples: int) -> settings:
    """Hypothesis settings for a test: the active profile, ``examples`` times :data:`SCALE`."""
    return settings(settings.get_profile(PROFILE), max_examples=examples * SCALE)


MARKER_PREFIX = "FZMK"
"""Every marker planted in the input starts with this; none may come back (case-insensitive:
the poll targets are upper-cased)."""
_MARKER_SEARCH = MARKER_PREFIX.lower()

ANSWER_TIMEOUT_S = 120.0
"""How long a socket waits for the function's answer: never asserted, only a guard against a
test hanging for ever (pytest-timeout would end it anyway)."""


# ----------------------------------------------------------------------------- raw HTTP


@dataclass(frozen=True)
class RawRequest:
    """Exactly the bytes to send, and how to send them.

    ``half_close``: shut the socket's write side after sending, so a server waiting for a
    body that never comes sees end-of-file (a truncated body) instead of waiting for ever.
    ``framing``: for the report only (``"content-length"``, ``"chunked"``,
    ``"malformed"`` …). ``malformed_http``: the request is not valid HTTP/1.1, so the server
    (gunicorn) may refuse it itself before the function runs.
    """

    method: str
    wire: bytes
    half_close: bool = False
    framing: str = "content-length"
    malformed_http: bool = False

    def __repr__(self) -> str:  # Hypothesis prints failing examples with repr
        return (
            f"RawRequest(method={self.method!r}, framing={self.framing!r}, "
            f"half_close={self.half_close}, malformed_http={self.malformed_http}, "
            f"wire={self.wire[:1500]!r}{'...' if len(self.wire) > 1500 else ''})"
        )


@dataclass(frozen=True)
class Reply:
    """The function's (or its server's) answer."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.content_type!r}, {self.body[:600]!r})"


def build_request(
    method: str,
    body: bytes,
    *,
    path: str = "/",
    headers: Sequence[tuple[bytes | str, bytes | str]] = (),
    framing: str = "content-length",
    chunks: Sequence[int] = (),
    declared_length: int | None = None,
) -> RawRequest:
    """A well-formed HTTP/1.1 request unless ``framing`` says otherwise.

    framing: ``content-length`` (exact), ``none`` (no length at all: no body),
    ``chunked`` (split at ``chunks`` sizes), ``cl-longer`` (declares more than is sent, then
    half-closes: a truncated body), ``cl-shorter`` (declares fewer bytes than follow).
    """
    lines = [f"{method} {path} HTTP/1.1".encode("latin-1"), b"Host: 127.0.0.1"]
    for name, value in headers:
        lines.append(_b(name) + b": " + _b(value))
    half_close = False
    if framing == "content-length":
        lines.append(b"Content-Length: %d" % len(body))
        payload = body
    elif framing == "none":
        payload = b""
    elif framing == "chunked":
        lines.append(b"Transfer-Encoding: chunked")
        payload = chunked(body, chunks)
    elif framing == "cl-longer":
        extra = declared_length if declared_length is not None else len(body) + 1
        lines.append(b"Content-Length: %d" % max(extra, len(body) + 1))
        payload = body
        half_close = True
    elif framing == "cl-shorter":
        lines.append(b"Content-Length: %d" % (declared_length or 0))
        payload = body
    else:
        raise ValueError(framing)
    lines.append(b"Connection: close")
    wire = b"\r\n".join(lines) + b"\r\n\r\n" + payload
    return RawRequest(method, wire, half_close=half_close, framing=framing)


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")


def chunked(body: bytes, sizes: Sequence[int] = ()) -> bytes:
    """``body`` in chunked encoding, cut at ``sizes`` (the rest in one chunk)."""
    out, rest = [], body
    for size in sizes:
        if not rest:
            break
        piece, rest = rest[: max(1, size)], rest[max(1, size) :]
        out.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    if rest:
        out.append(b"%x\r\n%s\r\n" % (len(rest), rest))
    out.append(b"0\r\n\r\n")
    return b"".join(out)


class NoAnswerError(AssertionError):
    """The server closed the connection (or timed out) without an HTTP answer."""


def send(port: int, request: RawRequest, *, timeout_s: float = ANSWER_TIMEOUT_S) -> Reply:
    """Send ``request`` on a new connection to ``127.0.0.1:port`` and read the whole answer.

    Raises:
        NoAnswerError: no complete HTTP answer came back.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
    try:
        try:
            sock.sendall(request.wire)
            if request.half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered (and closed) before reading everything: read its answer
        response = http.client.HTTPResponse(sock, method=request.method)
        try:
            response.begin()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise NoAnswerError(f"no complete answer: {exc!r}") from None
        return Reply(response.status, list(response.getheaders()), body)
    finally:
        sock.close()


# ----------------------------------------------------------------------------- processes


def _children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()}


@dataclass
class FunctionUnderTest:
    """One function's functions-framework process, its log and its gunicorn workers."""

    label: str
    process: ManagedProcess
    _offset: int = 0
    _pending: str = ""
    workers: set[int] = field(default_factory=set)

    @property
    def port(self) -> int:
        return self.process.port

    @property
    def url(self) -> str:
        return self.process.url

    def started(self) -> None:
        """Remember the workers and skip the start-up log."""
        assert self.process.pid is not None
        self.workers = _children(self.process.pid)
        assert self.workers, f"{self.label}: gunicorn has no worker"
        self.new_log()

    def new_log(self) -> str:
        """The complete log lines written since the last call."""
        assert self.process.log_path is not None
        with self.process.log_path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        self._offset += len(chunk)
        text = self._pending + chunk.decode("utf-8", errors="replace")
        complete, _, self._pending = text.rpartition("\n")
        return complete

    def assert_up(self) -> None:
        """The process is running and gunicorn has not replaced a worker (a crashed worker is
        restarted silently, so the arbiter alone being alive proves nothing)."""
        assert self.process.running(), f"{self.label} exited:\n{self.process.log_tail(80)}"
        assert self.process.pid is not None
        workers = _children(self.process.pid)
        assert workers == self.workers, (
            f"{self.label}: gunicorn workers changed {sorted(self.workers)} -> {sorted(workers)} "
            f"(a worker died):\n{self.process.log_tail(80)}"
        )

    def send(self, request: RawRequest) -> Reply:
        return send(self.port, request)


# ----------------------------------------------------------------------------- checks


def has_marker(text: str | bytes) -> bool:
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return _MARKER_SEARCH in text.lower()


_UNEXPECTED = re.compile(r"Traceback \(most recent call last\)|\"event\":\"unexpected_error\"")


def check_log(fn: FunctionUnderTest, context: object) -> list[dict[str, Any]]:
    """The log lines since the last example: no marker, no unexpected error, all JSON
    (functions-framework's gunicorn logs nothing at its level ``error`` for a served request).
    Returns the parsed lines."""
    text = fn.new_log()
    assert not has_marker(text), (
        f"{fn.label} logged part of the input:\n{text[-3000:]}\n{context!r}"
    )
    assert not _UNEXPECTED.search(text), f"{fn.label} logged an error:\n{text[-4000:]}\n{context!r}"
    lines = []
    for line in text.splitlines():
        if line.strip():
            try:
                lines.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"{fn.label} logged a non-JSON line: {line[:500]!r}") from None
    return lines


ERROR_KEYS = {"code", "message", "field"}


def assert_error_shape(reply: Reply, context: object) -> dict[str, Any]:
    """``{"error": {"code": str, "message": str, "field"?: str}}`` and nothing else."""
    assert reply.content_type == "application/json", (reply, context)
    body = reply.json()
    assert isinstance(body, dict) and set(body) == {"error"}, (reply, context)
    error = body["error"]
    assert isinstance(error, dict) and {"code", "message"} <= set(error) <= ERROR_KEYS, (
        reply,
        context,
    )
    assert all(isinstance(error[k], str) and error[k] for k in error), (reply, context)
    return error


def is_gunicorn_refusal(reply: Reply) -> bool:
    """gunicorn's own answer to a request that is not valid HTTP (the function never ran)."""
    return (
        reply.status in (400, 431) and reply.content_type == "text/html" and b"<h1>" in reply.body
    )


def check_reply(
    fn: FunctionUnderTest,
    request: RawRequest,
    reply: Reply,
    *,
    context: object = None,
    expect: Iterable[int] | None = None,
) -> None:
    """The properties every answer to every input has."""
    context = context if context is not None else request
    assert reply.status < 500, (reply, context)
    if expect is not None:
        assert reply.status in set(expect), (reply, context)
    headers = "\n".join(
        f"{k}: {v}" for k, v in reply.headers if k.lower() not in ECHOED_HEADERS_BY_DESIGN
    )
    assert not has_marker(reply.body), (reply, context)
    assert not has_marker(headers), (headers, context)
    if 400 <= reply.status < 500 and request.method != "HEAD":
        if request.malformed_http and is_gunicorn_refusal(reply):
            pass  # refused by the HTTP server before the function (see the module docstring)
        else:
            assert_error_shape(reply, context)


ECHOED_HEADERS_BY_DESIGN = frozenset({"x-correlation-id"})
"""Answer headers that carry the caller's value on purpose (a sane ``X-Correlation-Id``)."""


def json_bytes(value: Any, *, ascii_only: bool = True) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":")).encode(
        "utf-8", errors="surrogatepass"
    )
