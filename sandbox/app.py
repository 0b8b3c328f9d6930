"""The sandbox application: its parts, the router and the one dispatch path.

Every call goes: route -> method -> fault (before any state change) -> handler -> stats.
Handlers raise :class:`ApiError` for anything a client did wrong; anything else is a bug,
answered as a 500 without details and printed to stderr.
"""

from __future__ import annotations

import random
import sys
import threading
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sandbox import admin, api
from sandbox.auth import TokenAuthority
from sandbox.config import SandboxConfig
from sandbox.data import SeedGenerator
from sandbox.faults import ENDPOINTS, FaultBoard, FaultKind
from sandbox.responses import ApiError, Request, Response, error_body, json_response
from sandbox.seeding import seed
from sandbox.state import Store

__all__ = ["DROP", "Handler", "SandboxApp", "Stats"]

Handler = Callable[["SandboxApp", Request, list[str]], Response]
DROP = Response(0, b"")  # sentinel: close the connection without answering
_MALFORMED_BODY = b'{"timestamp": 1700000000000, "status": "success", "data": [{"id": '

_ROIT_PREFIX = "/ibs-core-entrypoint/api/v1/entrypoint/requests/"
# path -> (stats endpoint name, {method: handler})
_EXACT: dict[str, tuple[str, dict[str, Handler]]] = {
    "/auth/api/v1/token": ("token", {"POST": api.token}),
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
    **{path: ("_sandbox", methods) for path, methods in admin.PREFIX_ROUTES.items()},
}


class Stats:
    """Calls per endpoint and status code, token exchanges, dropped connections."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._calls: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            self.token_exchanges = 0

    def record(self, endpoint: str, status: int | str) -> None:
        with self._lock:
            self._calls[endpoint][str(status)] += 1

    def token_issued(self) -> None:
        with self._lock:
            self.token_exchanges += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "calls": {name: dict(codes) for name, codes in self._calls.items()},
                "tokenExchanges": self.token_exchanges,
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
        if path in _EXACT:
            name, methods = _EXACT[path]
            return name, methods, []
        for prefix, (name, methods) in _PREFIXES.items():
            if path.startswith(prefix) and len(path) > len(prefix):
                return name, methods, path[len(prefix) :].split("/")
        return None

    def dispatch(self, request: Request) -> Response:
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
        if endpoint in ENDPOINTS:
            injected = self._inject_fault(endpoint)
            if injected is not None:
                self.stats.record(endpoint, "dropped" if injected is DROP else injected.status)
                return injected
        try:
            response = handler(self, request, params)
        except ApiError as exc:
            response = exc.to_response()
        except Exception:  # noqa: BLE001 - a bug: never leak details to the client
            traceback.print_exc(file=sys.stderr)
            response = json_response(500, error_body(500, "Internal sandbox error"))
        if (
            endpoint == "pending"
            and response.status == 200
            and self.faults.take_drop_after_commit(endpoint)
        ):
            self.stats.record(endpoint, "dropped_after_commit")
            return DROP
        self.stats.record(endpoint, response.status)
        return response

    def _inject_fault(self, endpoint: str) -> Response | None:
        action = self.faults.draw(endpoint)
        if action.latency_s:
            time.sleep(action.latency_s)
        if action.kind is FaultKind.DROP:
            return DROP
        if action.kind is FaultKind.RATE_LIMIT:
            return ApiError(
                429, "Too many requests", headers={"Retry-After": str(action.retry_after)}
            ).to_response()
        if action.kind is FaultKind.ERROR:
            return ApiError(action.status, f"Injected fault: HTTP {action.status}").to_response()
        if action.kind is FaultKind.MALFORMED:
            return Response(200, _MALFORMED_BODY)
        return None
