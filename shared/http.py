"""HTTP edges: read a JSON body strictly, and map any error to one JSON response.

Bad input gets a 4xx that names the field and the problem. Nothing of the request (body,
headers) and no secret is ever echoed back; unexpected errors become a bare 500 whose details
go only to the logs (type, never the message).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import flask
from pydantic import BaseModel

from shared.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RoitConnectionError,
    RoitError,
    RoitStatusError,
    WebhookVerificationError,
)
from shared.logs import get_logger
from shared.models import parse_input

__all__ = ["MAX_BODY_BYTES", "error_response", "json_response", "raw_body", "read_json"]

MAX_BODY_BYTES = 64 * 1024
M = TypeVar("M", bound=BaseModel)
log = get_logger("http")
_BODY_KEY = "roit.raw_body"


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    """A JSON response."""
    response = flask.Response(
        json.dumps(payload, default=str, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error(status: int, code: str, message: str, **extra: Any) -> flask.Response:
    headers = extra.pop("headers", None)
    body = {"error": {"code": code, "message": message, **{k: v for k, v in extra.items() if v}}}
    return json_response(body, status, headers)


def raw_body(request: flask.Request, *, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The body, read once and kept (a webhook signature needs the exact bytes).

    Raises:
        InvalidInputError: 413 when longer than ``max_bytes``.
    """
    cached = request.environ.get(_BODY_KEY)
    if isinstance(cached, bytes):
        return cached
    length = request.content_length
    if length is not None and length > max_bytes:
        raise InvalidInputError(f"body is larger than {max_bytes} bytes", status_code=413)
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInputError(f"body is larger than {max_bytes} bytes", status_code=413)
    request.environ[_BODY_KEY] = data
    return data


def read_json(
    request: flask.Request,
    model: type[M] | None = None,
    *,
    max_bytes: int = MAX_BODY_BYTES,
    allow_empty: bool = False,
) -> Any:
    """Parse a POSTed JSON object, strictly into ``model`` when given.

    Raises:
        InvalidInputError: 405 wrong method, 415 not JSON, 413 too large, 400 empty, malformed,
            not an object, or failing the model (naming the field).
    """
    if request.method != "POST":
        raise InvalidInputError("use POST", status_code=405)
    data = raw_body(request, max_bytes=max_bytes)
    if not data.strip():
        if allow_empty:
            return parse_input(model, {}) if model else {}
        raise InvalidInputError("body is empty; send a JSON object")
    mimetype = request.mimetype
    if mimetype != "application/json" and not (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    ):
        raise InvalidInputError("Content-Type must be application/json", status_code=415)
    try:
        payload = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInputError("body is not valid JSON (or nested too deeply)") from None
    if not isinstance(payload, dict):
        raise InvalidInputError("body must be a JSON object")
    return parse_input(model, payload) if model else payload


def error_response(error: BaseException) -> flask.Response:
    """The one mapping from an error to what an HTTP caller sees.

    InvalidInputError → its 4xx; WebhookVerificationError → 401; ROIT 400/404/409 → the same
    status; ROIT 401 (after one renewal), 429, 5xx and connection failures → 502 with
    ``Retry-After`` where ROIT gave one; anything else → 500 without details.
    """
    if isinstance(error, InvalidInputError):
        return _error(error.status_code, "invalid_input", error.message, field=error.field)
    if isinstance(error, WebhookVerificationError):
        return _error(401, "unauthenticated", error.message)
    if isinstance(error, NotFoundError):
        return _error(404, "not_found", "ROIT does not know this request or integration")
    if isinstance(error, ConflictError):
        return _error(409, "conflict", _roit_detail(error, "the request is not in a valid state"))
    if isinstance(error, RoitStatusError) and not error.transient and error.status_code < 500:
        status = 400 if error.status_code in (400, 422) else 502
        return _error(status, "roit_rejected", _roit_detail(error, "ROIT refused the request"))
    if isinstance(error, RoitStatusError | RoitConnectionError) or (
        isinstance(error, RoitError) and error.transient
    ):
        retry_after = getattr(error, "retry_after_s", None)
        headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
        what = (
            "ROIT refused the connector's credentials"
            if isinstance(error, AuthenticationError)
            else "an upstream service is unavailable; try again later"
        )
        return _error(502, "upstream_unavailable", what, headers=headers)
    log.error("unexpected error", extra={"fields": {"errorType": type(error).__name__}})
    return _error(500, "internal", "internal error")


def _roit_detail(error: RoitStatusError, default: str) -> str:
    return f"ROIT: {error.detail}" if error.detail else default
