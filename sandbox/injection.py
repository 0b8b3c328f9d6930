"""How a drawn :class:`~sandbox.faults.FaultAction` becomes an answer.

:func:`before` answers the faults that replace the endpoint (nothing changes); :func:`shape`
turns the endpoint's real answer into a slow, stalled or oversized stream.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from sandbox import encoding, shaping, token_endpoint
from sandbox.faults import FaultAction, FaultKind
from sandbox.responses import DROP, ApiError, Request, Response, StreamedResponse, json_response

if TYPE_CHECKING:
    from sandbox.app import SandboxApp

__all__ = ["MALFORMED_BODY", "REDIRECT_PREFIX", "before", "shape"]

MALFORMED_BODY = b'{"timestamp": 1700000000000, "status": "success", "data": [{"id": '
REDIRECT_PREFIX = "/_sandbox/redirected/"


def before(
    app: SandboxApp, endpoint: str, action: FaultAction, request: Request
) -> Response | None:
    """The answer of a fault that stands in for the endpoint, or None to run the endpoint."""
    kind = action.kind
    if kind is FaultKind.DROP:
        return DROP
    if kind is FaultKind.RATE_LIMIT:
        headers = {"Retry-After": str(action.retry_after)}
        return ApiError(429, "Too many requests", headers=headers).to_response()
    if kind is FaultKind.ERROR:
        return ApiError(action.status, f"Injected fault: HTTP {action.status}").to_response()
    if kind is FaultKind.MALFORMED:
        return Response(200, MALFORMED_BODY)
    if kind is FaultKind.REDIRECT:
        location = f"{request.base_url}{REDIRECT_PREFIX}{endpoint}"
        return json_response(action.status, {}, headers={"Location": location})
    if kind is FaultKind.TOKEN_MISSING:
        return token_endpoint.fault_answer(app, missing=True)
    if kind is FaultKind.TOKEN_BAD_CHARS:
        return token_endpoint.fault_answer(app, missing=False)
    if kind is FaultKind.GZIP_BOMB:
        return encoding.gzip_bomb(action.size_mib)
    return None


def shape(
    app: SandboxApp, endpoint: str, action: FaultAction, response: Response, *, compress: bool
) -> StreamedResponse:
    """The endpoint's answer, oversized (never compressed), or gzip-encoded when ``compress``
    and then stalled or dripped."""
    on_hangup = partial(app.stats.hangup, endpoint)
    if action.kind is FaultKind.OVERSIZE:
        return shaping.oversize(response, action.size_mib, on_hangup)
    if compress:
        response = encoding.gzip_response(response)
        app.stats.compressed()
    if action.kind is FaultKind.STALL:
        return shaping.stall(response, action.pause_s, on_hangup)
    return shaping.drip(response, action.piece_bytes, action.pause_s, on_hangup)
