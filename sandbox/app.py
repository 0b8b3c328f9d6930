"""The sandbox application: its parts, the router and the one dispatch path.

Every call goes: route -> method -> fault draw (before any state change) -> the fault's answer,
or the handler -> after-commit faults (body shaping, ``drop_after_commit_next``) -> gzip ->
stats. Handlers raise :class:`ApiError` for anything a client did wrong; anything else is a
bug, answered as a 500 without details and printed to stderr.
"""

from __future__ import annotations

import json
import random
import sys
import time
import traceback
from collections.abc import Callable

from sandbox import admin, api, encoding, injection, token_endpoint
from sandbox.auth import TokenAuthority
from sandbox.config import SandboxConfig
from sandbox.data import SeedGenerator
from sandbox.faults import BODY_SHAPING, ENDPOINTS, FaultAction, FaultBoard, FaultKind
from sandbox.responses import (
    DROP,
    Answer,
    ApiError,
    Request,
    Response,
    error_body,
    json_response,
)
from sandbox.seeding import seed
from sandbox.state import Store
from sandbox.stats import Stats

__all__ = ["DROP", "Handler", "SandboxApp", "Stats"]

Handler = Callable[["SandboxApp", Request, list[str]], Response]
_NO_FAULT = FaultAction(FaultKind.NONE)
_ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
_TOKEN_ROUTE: tuple[str, dict[str, Handler]] = ("token", {"POST": token_endpoint.token})

_ROIT_PREFIX = "/ibs-core-entrypoint/api/v1/entrypoint/requests/"
# path -> (stats endpoint name, {method: handler}); the token path is config.token_path
_EXACT: dict[str, tuple[str, dict[str, Handler]]] = {
    _ROIT_PREFIX + "pending": ("pending", {"POST": api.pending}),
    _ROIT_PREFIX + "status": ("status", {"POST": api.status}),
    _ROIT_PREFIX + "reprocess": ("reprocess", {"POST": api.reprocess}),
    _ROIT_PREFIX + "attachs": ("attachs", {"POST": api.attachs}),
    "/ibs-core-delivery/api/v1/delivery": ("delivery", {"POST": api.delivery}),
    **{path: ("_sandbox", methods) for path, methods in admin.EXACT_ROUTES.items()},
}
# path prefix -> (stats endpoint name, {method: handler}); the rest of the path is split on "/"
_PREFIXES: dict[str, tuple[str, dict[str, Handler]]] = {
    "/files/": ("files", {"GET": api.file}),
    injection.REDIRECT_PREFIX: ("redirected", dict.fromkeys(_ALL_METHODS, admin.redirected)),
    **{path: ("_sandbox", methods) for path, methods in admin.PREFIX_ROUTES.items()},
}


class SandboxApp:
    """Holds the state of one sandbox and answers its requests (thread-safe)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.started_at = time.time()
        self.store = Store()
        self.stats = Stats()
        self.tokens = TokenAuthority(
            client_id=config.client_id,
            client_secret=config.client_secret,
            lifetime_s=config.token_lifetime_s,
            scheme=config.auth_scheme,
            opaque=config.opaque_tokens,
        )
        self.faults = FaultBoard()
        self.generator = SeedGenerator(random.Random())
        self.reset(config.seed_documents, config.seed_master, config.seed_received)
        for endpoint, spec in config.faults.items():
            self.faults.set(endpoint, spec)

    def reset(self, documents: int, master: int, received: int) -> list[str]:
        """Clear requests, deliveries, counters and faults; reseed; return the new ids."""
        with self.store.lock:
            rng_seed = self.config.random_seed
            self.generator = SeedGenerator(random.Random(rng_seed))
            self.faults = FaultBoard(random.Random(rng_seed))
            self.store.clear()
            self.stats.reset()
            return seed(
                self.store,
                self.generator,
                self.config.integration_id,
                documents=documents,
                master=master,
                received=received,
            )

    def check_integration(self, integration_id: str) -> None:
        """Raises: ApiError 404 for an integration this sandbox does not know."""
        if integration_id not in self.config.integration_ids:
            raise ApiError(
                404,
                f"Integration not found: integrationId {integration_id!r} is not registered",
                [{"field": "integrationId", "message": "unknown integration"}],
            )

    def _route(self, path: str) -> tuple[str, dict[str, Handler], list[str]] | None:
        if path == self.config.token_path:
            return (*_TOKEN_ROUTE, [])
        if path in _EXACT:
            name, methods = _EXACT[path]
            return name, methods, []
        for prefix, (name, methods) in _PREFIXES.items():
            if path.startswith(prefix) and len(path) > len(prefix):
                return name, methods, path[len(prefix) :].split("/")
        return None

    def dispatch(self, request: Request) -> Answer:
        """Answer one request; returns :data:`DROP` to close the connection silently."""
        route = self._route(request.path.rstrip("/") or "/")
        if route is None:
            self.stats.record("unknown", 404)
            return json_response(404, error_body(404, f"Cannot {request.method} {request.path}"))
        endpoint, methods, params = route
        handler = methods.get(request.method)
        if handler is None:
            self.stats.record(endpoint, 405)
            body = error_body(405, f"Method {request.method} not allowed on {request.path}")
            return json_response(405, body, headers={"Allow": ", ".join(sorted(methods))})
        action = self.faults.draw(endpoint) if endpoint in ENDPOINTS else _NO_FAULT
        if action.spiked:
            self.stats.spike(endpoint)
        if action.latency_s:
            time.sleep(action.latency_s)
        injected = injection.before(self, endpoint, action, request)
        if injected is not None:
            outcome = "dropped" if injected is DROP else action.kind.value
            self.stats.record(endpoint, injected.status if action.kind in _BY_STATUS else outcome)
            return injected if injected is DROP else self._encode(endpoint, request, injected)
        response = self._run(handler, request, params)
        if action.kind in BODY_SHAPING:
            self.stats.record(endpoint, action.kind.value)
            compress = self._should_gzip(endpoint, request, response)
            return injection.shape(self, endpoint, action, response, compress=compress)
        if (
            endpoint == "pending"
            and response.status == 200
            and (page := _request_ids(response))  # an empty page commits nothing to lose
            and self.faults.take_drop_after_commit(endpoint)
        ):
            self.stats.record(endpoint, "dropped_after_commit")
            self.store.page_dropped(page)
            return DROP
        self.stats.record(endpoint, response.status)
        return self._encode(endpoint, request, response)

    def _run(self, handler: Handler, request: Request, params: list[str]) -> Response:
        try:
            return handler(self, request, params)
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
        self.stats.compressed()
        return encoding.gzip_response(response)


def _request_ids(response: Response) -> list[str]:
    """The request ids of a pending answer (the sandbox's own envelope)."""
    records = json.loads(response.body).get("data") or []
    return [str(record["requestId"]) for record in records]


# Faults counted by their status code in the stats (the others by their kind).
_BY_STATUS = frozenset({FaultKind.RATE_LIMIT, FaultKind.ERROR, FaultKind.MALFORMED})
_GZIP_ENDPOINTS = frozenset({*ENDPOINTS, "files"})
