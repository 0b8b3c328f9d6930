"""Inspection and control API under ``/_sandbox/`` (no auth: local use only).

Answers are plain JSON objects (not ROIT's envelope); errors use the sandbox's error shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sandbox.config import check_token_path, check_token_required_fields
from sandbox.context import Context, Handler
from sandbox.faults.board import ENDPOINTS, FaultSpec
from sandbox.models import ConfigBody, ResetBody, SeedBody
from sandbox.responses import ApiError, Request, Response, json_response, validation_errors
from sandbox.state.seeding import seed as seed_store
from sandbox.state.store import NotFoundError

__all__ = ["ROUTES", "redirected"]

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


def _body(request: Request, model: type[ModelT]) -> ModelT:
    raw = request.body if request.body.strip() else b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise ApiError(400, "Validation failed", validation_errors(exc)) from exc


def _ok(body: dict[str, Any]) -> Response:
    return json_response(200, body)


def health(ctx: Context, request: Request, _: list[str]) -> Response:
    return _ok(
        {
            "status": "ok",
            "uptimeS": round(time.time() - ctx.started_at, 3),
            "requests": len(ctx.store),
        }
    )


def requests(ctx: Context, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/requests?status=&entity=&type=&limit=``."""
    query = request.query
    limit_text = query.get("limit")
    if limit_text is not None and not limit_text.isdigit():
        raise ApiError(
            400,
            "limit must be a non-negative integer",
            [{"field": "limit", "message": "not a non-negative integer"}],
        )
    rows = ctx.store.select(
        status=query.get("status") or None,
        entity=query.get("entity") or None,
        type_=query.get("type") or None,
        limit=int(limit_text) if limit_text is not None else None,
    )
    return _ok({"count": len(rows), "data": rows})


def requests_summary(ctx: Context, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/requests/summary?entity=&type=``: counts and requestIds per status,
    ``timesReturned`` per request, ``returnedMoreThanOnce`` (cheap with many requests)."""
    query = request.query
    return _ok(ctx.store.summary(query.get("entity") or None, query.get("type") or None))


def request_detail(ctx: Context, request: Request, params: list[str]) -> Response:
    """``GET /_sandbox/requests/<requestId>``: state, history and the ROIT record."""
    try:
        record = ctx.store.get(params[0])
    except NotFoundError as exc:
        raise ApiError(404, f"Request not found: {params[0]!r}") from exc
    with ctx.store.lock:
        body = {**record.to_state(), "record": record.to_roit(with_document=True)}
    return _ok(body)


def stats(ctx: Context, request: Request, _: list[str]) -> Response:
    """Calls per endpoint by status code, token exchanges, requests per status."""
    with ctx.store.lock:
        deliveries = list(ctx.store.deliveries)
    return _ok(
        {
            **ctx.stats.snapshot(),
            "requestsByStatus": ctx.store.counts_by_status(),
            "requests": len(ctx.store),
            "deliveries": len(deliveries),
            "deliveredItems": sum(d["received"] for d in deliveries),
        }
    )


def deliveries(ctx: Context, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/deliveries?entity=``: every delivery received, oldest first."""
    entity = request.query.get("entity")
    with ctx.store.lock:
        rows = [d for d in ctx.store.deliveries if not entity or d["entity"] == entity]
    return _ok({"count": len(rows), "data": rows})


def seed(ctx: Context, request: Request, _: list[str]) -> Response:
    """``POST /_sandbox/seed {documents, master, received, types, integrationId}``."""
    body = _body(request, SeedBody)
    integration_id = body.integrationId or ctx.config.integration_id
    ctx.check_integration(integration_id)
    try:
        created = seed_store(
            ctx.store,
            ctx.generator,
            integration_id,
            documents=body.documents,
            master=body.master,
            received=body.received,
            types=body.types,
        )
    except ValueError as exc:
        raise ApiError(400, str(exc), [{"field": "types", "message": str(exc)}]) from exc
    return _ok({"created": len(created), "requestIds": created})


def reset(ctx: Context, request: Request, _: list[str]) -> Response:
    """``POST /_sandbox/reset {seed?, master?, received?}``: clear state, counters, faults;
    then seed that many (default: nothing)."""
    body = _body(request, ResetBody)
    created = ctx.reset(body.seed or 0, body.master or 0, body.received or 0)
    return _ok({"reset": True, "created": len(created), "requestIds": created})


def faults(ctx: Context, request: Request, _: list[str]) -> Response:
    """``GET /_sandbox/faults``: the faults still armed, per endpoint."""
    return _ok({"faults": ctx.faults.snapshot()})


def clear_faults(ctx: Context, request: Request, _: list[str]) -> Response:
    ctx.faults.clear()
    return _ok({"faults": {}})


def _endpoint(params: list[str]) -> str:
    if len(params) != 1 or params[0] not in ENDPOINTS:
        raise ApiError(
            404,
            f"Unknown fault endpoint; use one of {', '.join(ENDPOINTS)}",
            [{"field": "endpoint", "message": "unknown"}],
        )
    return params[0]


def set_fault(ctx: Context, request: Request, params: list[str]) -> Response:
    """``PUT /_sandbox/faults/<endpoint>`` with a fault spec (replaces the previous one)."""
    endpoint = _endpoint(params)
    spec = _body(request, FaultSpec)
    try:
        ctx.faults.set(endpoint, spec)
    except ValueError as exc:
        raise ApiError(400, str(exc), [{"field": "endpoint", "message": str(exc)}]) from exc
    return _ok({"endpoint": endpoint, "fault": spec.model_dump()})


def clear_fault(ctx: Context, request: Request, params: list[str]) -> Response:
    endpoint = _endpoint(params)
    ctx.faults.clear(endpoint)
    return _ok({"endpoint": endpoint, "fault": None})


def revoke_tokens(ctx: Context, request: Request, _: list[str]) -> Response:
    """Invalidate every token issued so far."""
    ctx.tokens.revoke_all()
    return _ok({"revoked": True})


def _config_view(ctx: Context) -> dict[str, Any]:
    cfg = ctx.config
    return {
        "client_id": cfg.client_id,
        "client_secret": cfg.client_secret,
        "integration_ids": list(cfg.integration_ids),
        "auth_scheme": cfg.auth_scheme,
        "token_lifetime_s": ctx.tokens.lifetime_s,
        "page_size": cfg.page_size,
        "token_path": cfg.token_path,
        "token_shape": cfg.token_shape,
        "token_required_fields": dict(cfg.token_required_fields),
        "opaque_tokens": ctx.tokens.opaque,
        "gzip": cfg.gzip,
    }


def get_config(ctx: Context, request: Request, _: list[str]) -> Response:
    """The credentials and settings a local client needs (local use only)."""
    return _ok(_config_view(ctx))


def _checked(field: str, check: Callable[[T], T], value: T) -> T:
    try:
        return check(value)
    except ValueError as exc:
        raise ApiError(400, str(exc), [{"field": field, "message": str(exc)}]) from exc


def put_config(ctx: Context, request: Request, _: list[str]) -> Response:
    """``PUT /_sandbox/config``: any of ``token_lifetime_s``, ``page_size``, ``token_shape``,
    ``token_required_fields`` (``{}`` clears), ``opaque_tokens``, ``gzip``, ``token_path``,
    ``client_secret`` (a credentials rotation: only the new secret is accepted from now on;
    tokens already issued stay valid); all checked before any is applied."""
    body = _body(request, ConfigBody)
    cfg = ctx.config
    path = _checked("token_path", check_token_path, body.token_path or cfg.token_path)
    required = _checked(
        "token_required_fields",
        check_token_required_fields,
        cfg.token_required_fields
        if body.token_required_fields is None
        else body.token_required_fields,
    )
    if body.token_lifetime_s is not None:
        ctx.tokens.lifetime_s = body.token_lifetime_s
        cfg.token_lifetime_s = body.token_lifetime_s
    if body.page_size is not None:
        cfg.page_size = body.page_size
    if body.token_shape is not None:
        cfg.token_shape = body.token_shape
    if body.opaque_tokens is not None:
        ctx.tokens.opaque = cfg.opaque_tokens = body.opaque_tokens
    if body.gzip is not None:
        cfg.gzip = body.gzip
    if body.client_secret is not None:
        ctx.tokens.client_secret = cfg.client_secret = body.client_secret
    cfg.token_path, cfg.token_required_fields = path, required
    return _ok(_config_view(ctx))


def redirected(ctx: Context, request: Request, params: list[str]) -> Response:
    """Where a redirect fault points (``/_sandbox/redirected/<endpoint>``): a client that
    follows it lands here, is counted (stats ``calls.redirected``) and gets a non-ROIT body."""
    return _ok({"redirected": True, "from": "/".join(params)})


# Werkzeug rule -> {method: handler}; ``<rest:params>`` is the rest of the path, split on "/".
ROUTES: dict[str, dict[str, Handler]] = {
    "/_sandbox/health": {"GET": health},
    "/_sandbox/requests": {"GET": requests},
    "/_sandbox/requests/summary": {"GET": requests_summary},
    "/_sandbox/stats": {"GET": stats},
    "/_sandbox/deliveries": {"GET": deliveries},
    "/_sandbox/seed": {"POST": seed},
    "/_sandbox/reset": {"POST": reset},
    "/_sandbox/faults": {"GET": faults, "DELETE": clear_faults},
    "/_sandbox/revoke-tokens": {"POST": revoke_tokens},
    "/_sandbox/config": {"GET": get_config, "PUT": put_config},
    "/_sandbox/requests/<rest:params>": {"GET": request_detail},
    "/_sandbox/faults/<rest:params>": {"PUT": set_fault, "DELETE": clear_fault},
}
