"""Requests, responses, the ROIT envelopes and the error shape shared by every route."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = [
    "DROP",
    "NO_STORE",
    "Answer",
    "ApiError",
    "Chunk",
    "FieldError",
    "Pause",
    "Request",
    "Response",
    "StreamedResponse",
    "error_body",
    "json_response",
    "parse_body",
    "success",
]

JsonDict = dict[str, Any]
ModelT = TypeVar("ModelT", bound=BaseModel)
FieldError = dict[str, str]
# RFC 6749 §5.1: a token answer must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Request:
    """What a route sees of an HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    base_url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    """What a route answers."""

    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """A chunk of silence in a :class:`StreamedResponse`: wait ``seconds`` before going on
    (cut short when the client hangs up)."""

    seconds: float


Chunk = bytes | Pause


@dataclass
class StreamedResponse:
    """An answer whose body is sent piece by piece, with pauses in between.

    The status line and headers (with ``Content-Length: content_length``) leave at once; then
    ``chunks`` is iterated lazily (so a huge body is never held in memory), each ``bytes``
    written and flushed, each :class:`Pause` waited for. When the client hangs up the server
    stops quietly and calls ``on_hangup``. ``close_after`` closes the connection at the end
    (needed when fewer than ``content_length`` bytes were sent).
    """

    status: int
    chunks: Iterable[Chunk]
    content_length: int
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    close_after: bool = False
    on_hangup: Callable[[], None] | None = None


Answer = Response | StreamedResponse
DROP = Response(0, b"")  # sentinel: close the connection without answering


class ApiError(Exception):
    """An error answered as ``{timestamp, status:"error", statusCode, message, errors}``."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}

    def to_response(self) -> Response:
        body = error_body(self.status, self.message, self.errors)
        return json_response(self.status, body, headers=self.headers)


def error_body(status: int, message: str, errors: list[FieldError] | None = None) -> JsonDict:
    """The sandbox's error envelope."""
    return {
        "timestamp": _now_ms(),
        "status": "error",
        "statusCode": status,
        "message": message,
        "errors": errors or [],
    }


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    payload = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(status, payload, headers=headers or {})


def success(data: Any, message: str, status: int = 200) -> Response:
    """``{timestamp, status:"success", message, data}``."""
    body = {"timestamp": _now_ms(), "status": "success", "message": message, "data": data}
    return json_response(status, body)


# Union members appear in pydantic's error locations ("entryReference.int"); drop them.
_UNION_TAGS = {"int", "str", "float", "bool", "list", "dict", "none", "datetime"}


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part not in _UNION_TAGS and "[" not in part:
            name += f".{part}" if name else part
    return name or "body"


def validation_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic errors as ``[{field, message}]``, one per field (never echoes input values)."""
    merged: dict[str, list[str]] = {}
    for err in exc.errors(include_url=False, include_input=False):
        merged.setdefault(_field_name(tuple(err["loc"])), []).append(err["msg"])
    return [{"field": name, "message": "; ".join(msgs)} for name, msgs in merged.items()]


def parse_body(request: Request, model: type[ModelT]) -> ModelT:
    """Check the content type, parse the JSON object and validate it into ``model``.

    Raises:
        ApiError: 400 for a wrong content type, invalid JSON, a non-object or field errors.
    """
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(
            400,
            "Content-Type must be application/json",
            [{"field": "Content-Type", "message": "expected application/json"}],
        )
    try:
        parsed = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400, "Request body is not valid JSON", [{"field": "body", "message": str(exc)}]
        ) from exc
    if not isinstance(parsed, dict):
        raise ApiError(
            400,
            "Request body must be a JSON object",
            [{"field": "body", "message": "not an object"}],
        )
    try:
        return model.model_validate_json(request.body)
    except ValidationError as exc:
        raise ApiError(400, "Validation failed", validation_errors(exc)) from exc
