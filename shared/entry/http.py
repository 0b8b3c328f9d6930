"""HTTP edges: read a JSON body strictly, and answer any failure as one JSON error.

Bad input gets a 4xx that names the field and the problem. Nothing of the request (body,
headers, values, unknown keys) and no secret is ever echoed back; the status for every other
failure comes from the failure table (:func:`shared.entry.failures.http_answer`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

import flask
from pydantic import BaseModel

from shared.core.errors import InvalidInputError
from shared.core.inputs import loads_strict, parse_input
from shared.core.logs import sanitize
from shared.entry.failures import http_answer
from shared.entry.frontdoor import SlowClientError, unreadable_body_errors

__all__ = [
    "MAX_BODY_BYTES",
    "error_response",
    "json_body",
    "json_response",
    "raw_body",
    "read_json",
]

MAX_BODY_BYTES = 64 * 1024
M = TypeVar("M", bound=BaseModel)
_BODY_KEY = "roit.raw_body"


_UNREADABLE = unreadable_body_errors()


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    """A JSON response (never ``NaN`` or ``Infinity``: they are not JSON)."""
    response = flask.Response(
        json.dumps(payload, default=str, separators=(",", ":"), allow_nan=False),
        status=status,
        mimetype="application/json",
    )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def raw_body(
    request: flask.Request, *, max_bytes: int = MAX_BODY_BYTES, keep: bool = True
) -> bytes:
    """The body, read once (and kept unless ``keep`` is false: a webhook signature needs the
    exact bytes again; a large push message should not stay in memory twice).

    Raises:
        InvalidInputError: 413 when longer than ``max_bytes``; 408 when it arrives too slowly
            (:mod:`shared.entry.frontdoor`); 400 when the body cannot be read at all (e.g.
            broken chunked encoding).
    """
    cached = request.environ.get(_BODY_KEY)
    if isinstance(cached, bytes):
        return cached
    length = request.content_length
    if length is not None and length > max_bytes:
        raise InvalidInputError(f"body is larger than {max_bytes} bytes", status_code=413)
    try:
        data = request.stream.read(max_bytes + 1)
    except SlowClientError:
        raise InvalidInputError("the request body arrived too slowly", status_code=408) from None
    except _UNREADABLE:
        raise InvalidInputError("the request body could not be read (malformed transfer)") from None
    if len(data) > max_bytes:
        _drain(request)
        raise InvalidInputError(f"body is larger than {max_bytes} bytes", status_code=413)
    if keep:
        request.environ[_BODY_KEY] = data
    return data


def _drain(request: flask.Request) -> None:
    """Read what is left of a refused body and drop it.

    functions-framework reads the rest of every request after the function has answered, and a
    malformed body (broken chunked encoding) met there becomes a bare 500 instead of the answer
    already given; met here, it is ignored (the answer is decided). Reads in bounded pieces.
    """
    try:
        while request.stream.read(64 * 1024):
            pass
    except _UNREADABLE:
        pass


def json_body(
    request: flask.Request, *, max_bytes: int = MAX_BODY_BYTES, keep: bool = True
) -> bytes:
    """The bytes of a POSTed JSON body, unparsed (empty allowed: the caller decides).

    Raises:
        InvalidInputError: 405 wrong method, 415 not JSON, 413 too large, 400 unreadable.
    """
    if request.method != "POST":
        if request.content_length is None:  # a chunked body: meet a malformed one here
            _drain(request)
        raise InvalidInputError("use POST", status_code=405)
    data = raw_body(request, max_bytes=max_bytes, keep=keep)
    mimetype = request.mimetype
    if data.strip() and (
        mimetype != "application/json"
        and not (mimetype.startswith("application/") and mimetype.endswith("+json"))
    ):
        raise InvalidInputError("Content-Type must be application/json", status_code=415)
    return data


def read_json(
    request: flask.Request,
    model: type[M] | None = None,
    *,
    max_bytes: int = MAX_BODY_BYTES,
    allow_empty: bool = False,
) -> Any:
    """Parse a POSTed JSON object strictly, into ``model`` when given.

    Raises:
        InvalidInputError: 405 wrong method, 415 not JSON, 413 too large, 400 empty, malformed
            (see :func:`shared.core.inputs.loads_strict`), not an object, or failing the model.
    """
    data = json_body(request, max_bytes=max_bytes)
    if not data.strip():
        if allow_empty:
            return parse_input(model, {}) if model else {}
        raise InvalidInputError("body is empty; send a JSON object")
    payload = loads_strict(data)
    if not isinstance(payload, dict):
        raise InvalidInputError("body must be a JSON object")
    return parse_input(model, payload) if model else payload


def error_response(error: BaseException) -> flask.Response:
    """The JSON error an HTTP caller sees for ``error`` (see the failure table)."""
    answer = http_answer(error)
    body: dict[str, Any] = {"code": answer.code, "message": sanitize(answer.message)}
    if answer.location:
        body["field"] = answer.location
    return json_response({"error": body}, answer.status, answer.headers)
