"""Inspection and control API under ``/_sandbox/`` (no auth: local use only).

Answers are plain JSON objects (not ROIT's envelope); errors use the sandbox's error shape.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from sandbox.faults import ENDPOINTS, FaultSpec
from sandbox.models import ConfigBody, ResetBody, SeedBody
from sandbox.responses import ApiError, Request, Response, json_response, validation_errors
from sandbox.seeding import seed as seed_store
from sandbox.state import NotFoundError

if TYPE_CHECKING:
    from sandbox.app import Handler, SandboxApp

__all__ = ["EXACT_ROUTES", "PREFIX_ROUTES"]

ModelT = TypeVar("ModelT", bound=BaseModel)


def _body(request: Request, model: type[ModelT]) -> ModelT:
    raw = request.body if request.body.strip() else b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(400, "Validation failed", validation_errors(exc)) from exc


def _ok(body: dict[str, Any]) -> Response:
    return json_response(200, body)


def health(app: SandboxApp, request: Request, _: list[str]) -> Response:
    return _ok(
        {
            "status": "ok",
            "uptimeS": round(time.time() - app.started_at, 3),
            "requests": len(app.store),
        }
    )


def requests(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/requests?status=&entity=&type=&limit=``."""
    query = request.query
    limit_text = query.get("limit")
    if limit_text is not None and not limit_text.isdigit():
        raise ApiError(
            400,
            "limit must be a non-negative integer",
            [{"field": "limit", "message": "not a non-negative integer"}],
        )
    rows = app.store.select(
        status=query.get("status") or None,
        entity=query.get("entity") or None,
        type_=query.get("type") or None,
        limit=int(limit_text) if limit_text is not None else None,
    )
    return _ok({"count": len(rows), "data": rows})


def request_detail(app: SandboxApp, request: Request, params: list[str]) -> Response:
    """``GET /_sandbox/requests/<requestId>``: state, history and the ROIT record."""
    try:
        record = app.store.get(params[0])
    except NotFoundError as exc:
        raise ApiError(404, f"Request not found: {params[0]!r}") from exc
    with app.store.lock:
        body = {**record.to_state(), "record": record.to_roit(with_document=True)}
    return _ok(body)


def stats(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """Calls per endpoint by status code, token exchanges, requests per status."""
    with app.store.lock:
        deliveries = list(app.store.deliveries)
    return _ok(
        {
            **app.stats.snapshot(),
            "requestsByStatus": app.store.counts_by_status(),
            "requests": len(app.store),
            "deliveries": len(deliveries),
            "deliveredItems": sum(d["received"] for d in deliveries),
        }
    )


def deliveries(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/deliveries?entity=``: every delivery received, oldest first."""
    entity = request.query.get("entity")
    with app.store.lock:
        rows = [d for d in app.store.deliveries if not entity or d["entity"] == entity]
    return _ok({"count": len(rows), "data": rows})


def seed(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``POST /_sandbox/seed {documents, master, received, types, integrationId}``."""
    body = _body(request, SeedBody)
    integration_id = body.integrationId or app.config.integration_id
    app.check_integration(integration_id)
    try:
        created = seed_store(
            app.store,
            app.generator,
            integration_id,
            documents=body.documents,
            master=body.master,
            received=body.received,
            types=body.types,
        )
    except ValueError as exc:
        raise ApiError(400, str(exc), [{"field": "types", "message": str(exc)}]) from exc
    return _ok({"created": len(created), "requestIds": created})


def reset(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``POST /_sandbox/reset {seed?, master?, received?}``: clear state, counters, faults;
    then seed that many (default: nothing)."""
    body = _body(request, ResetBody)
    created = app.reset(body.seed or 0, body.master or 0, body.received or 0)
    return _ok({"reset": True, "created": len(created), "requestIds": created})


def faults(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/faults``: the faults still armed, per endpoint."""
    return _ok({"faults": app.faults.snapshot()})


def clear_faults(app: SandboxApp, request: Request, _: list[str]) -> Response:
    app.faults.clear()
    return _ok({"faults": {}})


def _endpoint(params: list[str]) -> str:
    if len(params) != 1 or params[0] not in ENDPOINTS:
        raise ApiError(
            404,
            f"Unknown fault endpoint; use one of {', '.join(ENDPOINTS)}",
            [{"field": "endpoint", "message": "unknown"}],
        )
    return params[0]


def set_fault(app: SandboxApp, request: Request, params: list[str]) -> Response:
    """``PUT /_sandbox/faults/<endpoint>`` with a fault spec (replaces the previous one)."""
    endpoint = _endpoint(params)
    spec = _body(request, FaultSpec)
    try:
        app.faults.set(endpoint, spec)
    except ValueError as exc:
        raise ApiError(400, str(exc), [{"field": "endpoint", "message": str(exc)}]) from exc
    return _ok({"endpoint": endpoint, "fault": spec.model_dump()})


def clear_fault(app: SandboxApp, request: Request, params: list[str]) -> Response:
    endpoint = _endpoint(params)
    app.faults.clear(endpoint)
    return _ok({"endpoint": endpoint, "fault": None})


def revoke_tokens(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """Invalidate every token issued so far."""
    app.tokens.revoke_all()
    return _ok({"revoked": True})


def _config_view(app: SandboxApp) -> dict[str, Any]:
    cfg = app.config
    return {
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret,
        "integration_ids": list(cfg.integration_ids),
        "auth_scheme": cfg.auth_scheme,
        "token_lifetime_s": app.tokens.lifetime_s,
        "page_size": cfg.page_size,
        "token_path": "/auth/api/v1/token",
    }


def get_config(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """The credentials and settings a local client needs (local use only)."""
    return _ok(_config_view(app))


def put_config(app: SandboxApp, request: Request, _: list[str]) -> Response:
    """``PUT /_sandbox/config {token_lifetime_s?, page_size?}``."""
    body = _body(request, ConfigBody)
    if body.token_lifetime_s is not None:
        app.tokens.lifetime_s = body.token_lifetime_s
        app.config.token_lifetime_s = body.token_lifetime_s
    if body.page_size is not None:
        app.config.page_size = body.page_size
    return _ok(_config_view(app))


EXACT_ROUTES: dict[str, dict[str, Handler]] = {
    "/_sandbox/health": {"GET": health},
    "/_sandbox/requests": {"GET": requests},
    "/_sandbox/stats": {"GET": stats},
    "/_sandbox/deliveries": {"GET": deliveries},
    "/_sandbox/seed": {"POST": seed},
    "/_sandbox/reset": {"POST": reset},
    "/_sandbox/faults": {"GET": faults, "DELETE": clear_faults},
    "/_sandbox/revoke-tokens": {"POST": revoke_tokens},
    "/_sandbox/config": {"GET": get_config, "PUT": put_config},
}
PREFIX_ROUTES: dict[str, dict[str, Handler]] = {
    "/_sandbox/requests/": {"GET": request_detail},
    "/_sandbox/faults/": {"PUT": set_fault, "DELETE": clear_fault},
}
