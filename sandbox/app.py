"""The sandbox application: the one dispatch path.

Every call goes: route -> method -> fault draw (before any state change) -> the fault's answer,
or the handler -> after-commit faults (body shaping, ``drop_after_commit_next``) -> gzip ->
stats. Handlers see a :class:`~sandbox.context.Context`, never the app; they raise
:class:`ApiError` for anything a client did wrong; anything else is a bug, answered as a 500
without details and printed to stderr.
"""

from __future__ import annotations

import json
import sys
import time
import traceback

from sandbox.config import SandboxConfig
from sandbox.context import Context, Handler
from sandbox.faults import encoding, injection
from sandbox.faults.board import BODY_SHAPING, ENDPOINTS, FaultAction, FaultKind
from sandbox.responses import DROP, Answer, ApiError, Request, Response, error_body, json_response
from sandbox.routes.table import match

__all__ = ["DROP", "SandboxApp"]

_NO_FAULT = FaultAction(FaultKind.NONE)


class SandboxApp:
    """Answers the requests of one sandbox (thread-safe); its parts are :attr:`context`."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.context = Context(config)

    def dispatch(self, request: Request) -> Answer:
        """Answer one request; returns :data:`DROP` to close the connection silently."""
        ctx = self.context
        route = match(request.path.rstrip("/") or "/", self.config.token_path)
        if route is None:
            ctx.stats.record("unknown", 404)
            return json_response(404, error_body(404, f"Cannot {request.method} {request.path}"))
        endpoint = route.endpoint
        handler = route.methods.get(request.method)
        if handler is None:
            ctx.stats.record(endpoint, 405)
            body = error_body(405, f"Method {request.method} not allowed on {request.path}")
            return json_response(405, body, headers={"Allow": ", ".join(sorted(route.methods))})
        action = ctx.faults.draw(endpoint) if endpoint in ENDPOINTS else _NO_FAULT
        if action.spiked:
            ctx.stats.spike(endpoint)
        if action.latency_s:
            time.sleep(action.latency_s)
        injected = injection.before(
            endpoint,
            action,
            request,
            token_shape=self.config.token_shape,
            token_lifetime_s=ctx.tokens.lifetime_s,
        )
        if injected is not None:
            outcome = "dropped" if injected is DROP else action.kind.value
            ctx.stats.record(endpoint, injected.status if action.kind in _BY_STATUS else outcome)
            return injected if injected is DROP else self._encode(endpoint, request, injected)
        response = self._run(handler, request, route.params)
        if action.kind in BODY_SHAPING:
            ctx.stats.record(endpoint, action.kind.value)
            compress = self._should_gzip(endpoint, request, response)
            return injection.shape(endpoint, action, response, ctx.stats, compress=compress)
        if (
            endpoint == "pending"
            and response.status == 200
            and (page := _request_ids(response))  # an empty page commits nothing to lose
            and ctx.faults.take_drop_after_commit(endpoint)
        ):
            ctx.stats.record(endpoint, "dropped_after_commit")
            ctx.store.page_dropped(page)
            return DROP
        ctx.stats.record(endpoint, response.status)
        return self._encode(endpoint, request, response)

    def _run(self, handler: Handler, request: Request, params: list[str]) -> Response:
        try:
            return handler(self.context, request, params)
        except ApiError as exc:
            return exc.to_response()
        except Exception:  # noqa: BLE001 - a bug: never leak details to the client
            traceback.print_exc(file=sys.stderr)
            return json_response(500, error_body(500, "Internal sandbox error"))

    def _should_gzip(self, endpoint: str, request: Request, response: Response) -> bool:
        return (
            self.config.gzip
            and endpoint in _GZIP_ENDPOINTS
            and bool(response.body)
            and "Content-Encoding" not in response.headers
            and encoding.accepts_gzip(request.header("accept-encoding"))
        )

    def _encode(self, endpoint: str, request: Request, response: Response) -> Response:
        """Honest compression (``config.gzip``) of the ROIT-shaped API's answers."""
        if self.config.gzip and endpoint in _GZIP_ENDPOINTS:
            response.headers.setdefault("Vary", "Accept-Encoding")
        if not self._should_gzip(endpoint, request, response):
            return response
        self.context.stats.compressed()
        return encoding.gzip_response(response)


def _request_ids(response: Response) -> list[str]:
    """The request ids of a pending answer (the sandbox's own envelope)."""
    records = json.loads(response.body).get("data") or []
    return [str(record["requestId"]) for record in records]


# Faults counted by their status code in the stats (the others by their kind).
_BY_STATUS = frozenset({FaultKind.RATE_LIMIT, FaultKind.ERROR, FaultKind.MALFORMED})
_GZIP_ENDPOINTS = frozenset({*ENDPOINTS, "files"})
