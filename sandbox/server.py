"""HTTP transport: a threaded HTTP/1.1 server (keep-alive) and :class:`SandboxServer`.

It stays on the standard library's ``http.server`` rather than a WSGI server (Werkzeug's
included) because faults need the socket itself: closing it without an answer (``drop``, and
a ``pending`` page lost after its commit), sending the headers and half a body and then nothing
(``stall``), pausing between pieces while watching for the client hanging up (``slow_body``).

Use in-process::

    with SandboxServer(SandboxConfig(port=0)) as sandbox:
        httpx.post(sandbox.url + "/auth/api/v1/token", json=...)
"""

from __future__ import annotations

import contextlib
import io
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.app import DROP, SandboxApp
from sandbox.config import SandboxConfig
from sandbox.responses import Pause, Request, Response, StreamedResponse

__all__ = ["SandboxServer"]

_MAX_BODY = 64 * 1024 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def close_all_connections(self) -> None:
        with self.connections_lock:
            open_connections = list(self.connections)
        for conn in open_connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ROITSandbox/1.0"
    timeout = 120  # idle keep-alive connections are closed after this
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and body leave in one write (flushed per request)
    server: _HTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.config.log_requests:
            sys.stderr.write(f"sandbox: {self.address_string()} {format % args}\n")

    def _serve(self) -> None:
        length_text = self.headers.get("Content-Length", "0") or "0"
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0 or length > _MAX_BODY:
            self.send_error(400 if length < 0 else 413)
            return
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        request = Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        response = self.server.app.dispatch(request)
        if response is DROP:
            self._hang_up()
            return
        if isinstance(response, StreamedResponse):
            self._stream(response)
            return
        self._send_head(response, len(response.body))
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_head(self, response: Response | StreamedResponse, length: int) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def _stream(self, response: StreamedResponse) -> None:
        """Headers at once, then the chunks as they come; stop quietly if the client leaves."""
        try:
            self._send_head(response, response.content_length)
            self.wfile.flush()
            if self.command == "HEAD":
                return
            for chunk in response.chunks:
                if isinstance(chunk, Pause):
                    if self._client_left_during(chunk.seconds):
                        raise ConnectionAbortedError("client hung up")
                elif chunk:
                    self.wfile.write(chunk)
                    self.wfile.flush()
        except OSError:  # BrokenPipe, ConnectionReset, timeout: the client is gone
            if response.on_hangup is not None:
                response.on_hangup()
            self._forget_unsent()
            self._hang_up()
            return
        if response.close_after:
            self._hang_up()

    def _forget_unsent(self) -> None:
        """The client is gone: drop the bytes still buffered for it, so that nothing (our
        flush, the handler's, ``finish``) tries to send them again and prints a traceback."""
        stale, self.wfile = self.wfile, io.BytesIO()
        with contextlib.suppress(OSError, ValueError):
            stale.close()

    def _client_left_during(self, seconds: float) -> bool:
        """Wait ``seconds``; True as soon as the client closes its end (or the server stops)."""
        deadline = time.monotonic() + seconds
        remaining = seconds
        while remaining > 0:
            readable, _, _ = select.select([self.connection], [], [], remaining)
            if readable:
                try:
                    peeked = self.connection.recv(1, socket.MSG_PEEK)
                except OSError:
                    return True
                if not peeked:
                    return True
                # The client sent more (a pipelined request): it is still there; just wait.
                time.sleep(max(0.0, deadline - time.monotonic()))
                return False
            remaining = deadline - time.monotonic()
        return False

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class SandboxServer:
    """A ROIT sandbox served from a background thread.

    Args:
        config: settings; ``port=0`` picks a free port (see :attr:`port`).
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.app = SandboxApp(self.config)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (raises if not started)."""
        if self._httpd is None:
            raise RuntimeError("sandbox server is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self.config.host}:{self.port}"

    def start(self) -> SandboxServer:
        """Bind and serve in a daemon thread; returns ``self``."""
        if self._httpd is not None:
            return self
        self._httpd = _HTTPServer((self.config.host, self.config.port), self.app)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="roit-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket and every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.close_all_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
