"""The token endpoint, in each shape the sandbox can serve (ROIT documents none of them).

* ``roit-json``: JSON ``{clientId, clientSecret}`` -> ROIT's envelope ``{..., data: {token,
  expiresIn}}``; errors in the sandbox's error envelope.
* ``oauth2-form``: RFC 6749 §4.4 client credentials grant, form-encoded, with ``client_id`` /
  ``client_secret`` in the body (§2.3.1) -> ``{access_token, token_type, expires_in}``; errors
  as RFC 6749 §5.2 ``{error, error_description}``.
* ``oauth2-basic``: the same grant, the client authenticating only with HTTP Basic.

``token_required_fields`` (e.g. ``{"scope": "roit.integration"}``) are extra fields every
token request must carry with exactly those values.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from sandbox.context import Context
from sandbox.models import TokenBody
from sandbox.responses import (
    NO_STORE,
    ApiError,
    FieldError,
    Request,
    Response,
    json_response,
    parse_body,
)
from sandbox.responses import success as envelope

__all__ = ["token"]

_FORM = "application/x-www-form-urlencoded"


class _OAuthError(ApiError):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        headers = dict(NO_STORE)
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="roit-sandbox"'
        super().__init__(status, description, headers=headers)
        self.error = error

    def to_response(self) -> Response:
        body = {"error": self.error, "error_description": self.message}
        return json_response(self.status, body, headers=self.headers)


def token(ctx: Context, request: Request, _: list[str]) -> Response:
    """The token endpoint (path ``config.token_path``), in the configured shape."""
    shape = ctx.config.token_shape
    if shape == "roit-json":
        return _roit_json(ctx, request)
    return _oauth2(ctx, request, basic=shape == "oauth2-basic")


def _issue(ctx: Context) -> tuple[str, int]:
    issued = ctx.tokens.issue()
    ctx.stats.token_issued()
    return issued.token, issued.expires_in


def _roit_json(ctx: Context, request: Request) -> Response:
    body = parse_body(request, TokenBody)
    parsed: dict[str, Any] = json.loads(request.body)  # parse_body checked it is an object
    errors: list[FieldError] = [
        {"field": name, "message": "required, with the value this sandbox was configured with"}
        for name, value in ctx.config.token_required_fields.items()
        if parsed.get(name) != value
    ]
    if errors:
        raise ApiError(400, "Validation failed", errors)
    if not ctx.tokens.credentials_match(body.clientId, body.clientSecret):
        raise ApiError(401, "Invalid client credentials")
    token_value, expires_in = _issue(ctx)
    return envelope({"token": token_value, "expiresIn": expires_in}, "Token generated")


def _form(request: Request) -> dict[str, str]:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise _OAuthError(400, "invalid_request", f"Content-Type must be {_FORM}")
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _OAuthError(400, "invalid_request", "the body is not form-encoded UTF-8") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:  # RFC 6749 §3.2: parameters MUST NOT be repeated
            raise _OAuthError(400, "invalid_request", f"parameter {name!r} is repeated")
        params[name] = value
    return params


def _basic(header: str | None) -> tuple[str, str] | None:
    """Client id and secret from ``Authorization: Basic``; None without a Basic header.

    Raises:
        _OAuthError: a Basic header that does not decode to ``id:secret``.
    """
    scheme, _, value = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _OAuthError(401, "invalid_client", "malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise _OAuthError(401, "invalid_client", "malformed Basic credentials")
    return client_id, secret


def _client(
    params: dict[str, str], header: tuple[str, str] | None, *, basic: bool
) -> tuple[str, str]:
    """The client's credentials, from the one place the shape allows."""
    body_id, body_secret = params.get("client_id"), params.get("client_secret")
    if header is not None and body_secret is not None:  # RFC 6749 §2.3: one method only
        raise _OAuthError(400, "invalid_request", "more than one client authentication method")
    if basic:
        if header is None:
            raise _OAuthError(401, "invalid_client", "authenticate with HTTP Basic")
        if body_id is not None and body_id != header[0]:
            raise _OAuthError(401, "invalid_client", "client_id does not match the Basic user")
        return header
    if header is not None or body_id is None or body_secret is None:
        raise _OAuthError(
            401, "invalid_client", "send client_id and client_secret in the form body"
        )
    return body_id, body_secret


def _credentials_match(ctx: Context, client_id: str, secret: str) -> bool:
    # RFC 6749 §2.3.1 form-encodes both before Basic; many clients do not: accept either.
    return ctx.tokens.credentials_match(client_id, secret) or ctx.tokens.credentials_match(
        unquote_plus(client_id), unquote_plus(secret)
    )


def _oauth2(ctx: Context, request: Request, *, basic: bool) -> Response:
    """Raises: _OAuthError (an :class:`ApiError` answered in RFC 6749 §5.2's shape)."""
    params = _form(request)
    if params.get("grant_type") != "client_credentials":
        raise _OAuthError(400, "unsupported_grant_type", "grant_type must be client_credentials")
    client_id, secret = _client(params, _basic(request.header("authorization")), basic=basic)
    if not _credentials_match(ctx, client_id, secret):
        raise _OAuthError(401, "invalid_client", "invalid client credentials")
    for name, value in ctx.config.token_required_fields.items():
        if params.get(name) != value:
            error = "invalid_scope" if name == "scope" else "invalid_request"
            raise _OAuthError(400, error, f"parameter {name!r} missing or not accepted")
    token_value, expires_in = _issue(ctx)
    body = {"access_token": token_value, "token_type": "Bearer", "expires_in": expires_in}
    return json_response(200, body, headers=dict(NO_STORE))
