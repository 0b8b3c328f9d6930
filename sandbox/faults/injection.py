"""How a drawn :class:`~sandbox.faults.board.FaultAction` becomes an answer.

:func:`before` answers the faults that replace the endpoint (nothing changes); :func:`shape`
turns the endpoint's real answer into a slow, stalled or oversized stream.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sandbox.config import TokenShape
from sandbox.faults import encoding, shaping
from sandbox.faults.board import FaultAction, FaultKind
from sandbox.responses import (
    DROP,
    NO_STORE,
    ApiError,
    Request,
    Response,
    StreamedResponse,
    json_response,
    success,
)
from sandbox.state.stats import Stats

__all__ = ["BAD_TOKEN", "MALFORMED_BODY", "REDIRECT_PREFIX", "before", "shape"]

MALFORMED_BODY = b'{"timestamp": 1700000000000, "status": "success", "data": [{"id": '
REDIRECT_PREFIX = "/_sandbox/redirected/"
# A token no HTTP header can carry: CR LF (header injection) and non-ASCII characters.
BAD_TOKEN = "abc\r\nX-Evil: 1\u00e9\u2603"


def before(
    endpoint: str,
    action: FaultAction,
    request: Request,
    *,
    token_shape: TokenShape,
    token_lifetime_s: int,
) -> Response | None:
    """The answer of a fault that stands in for the endpoint, or None to run the endpoint.

    ``token_shape`` and ``token_lifetime_s`` shape the token faults' answers."""
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
    if kind in (FaultKind.TOKEN_MISSING, FaultKind.TOKEN_BAD_CHARS):
        token = None if kind is FaultKind.TOKEN_MISSING else BAD_TOKEN
        return _token_answer(token_shape, token, token_lifetime_s)
    if kind is FaultKind.GZIP_BOMB:
        return encoding.gzip_bomb(action.size_mib)
    return None


def _token_answer(shape: TokenShape, token: str | None, lifetime_s: int) -> Response:
    """A 200 in the configured token shape with no token (None) or with ``token``."""
    if shape == "roit-json":
        data: dict[str, Any] = {"expiresIn": lifetime_s}
        if token is not None:
            data = {"token": token, **data}
        return success(data, "Token generated")
    body: dict[str, Any] = {"token_type": "Bearer", "expires_in": lifetime_s}
    if token is not None:
        body = {"access_token": token, **body}
    return json_response(200, body, headers=dict(NO_STORE))


def shape(
    endpoint: str, action: FaultAction, response: Response, stats: Stats, *, compress: bool
) -> StreamedResponse:
    """The endpoint's answer, oversized (never compressed), or gzip-encoded when ``compress``
    and then stalled or dripped; hang-ups and compression are counted in ``stats``."""
    on_hangup = partial(stats.hangup, endpoint)
    if action.kind is FaultKind.OVERSIZE:
        return shaping.oversize(response, action.size_mib, on_hangup)
    if compress:
        response = encoding.gzip_response(response)
        stats.compressed()
    if action.kind is FaultKind.STALL:
        return shaping.stall(response, action.pause_s, on_hangup)
    return shaping.drip(response, action.piece_bytes, action.pause_s, on_hangup)
