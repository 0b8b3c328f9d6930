"""Token request shapes worth trying, where a token and its lifetime are in an answer, and
the settings that describe a shape (pure: ``doctor`` uses them)."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from shared.core.settings import ClientAuth, RoitSettings, TokenRequestFormat
from shared.roit.exchange import TokenShape, dig, lifetime_from

__all__ = [
    "JWT_SHAPE",
    "Candidate",
    "candidates",
    "find_lifetime_path",
    "find_token_path",
    "shape_settings",
]

GRANT = {"grant_type": "client_credentials"}
TOKEN_PATHS = (
    "access_token",
    "token",
    "data.token",
    "data.access_token",
    "data.accessToken",
    "accessToken",
    "id_token",
    "data.id_token",
    "jwt",
    "data.jwt",
)
LIFETIME_PATHS = (
    "expires_in",
    "expiresIn",
    "data.expiresIn",
    "data.expires_in",
    "expires",
    "data.expires",
)
JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Candidate:
    """A token request shape worth trying, and how to call it."""

    label: str
    shape: TokenShape


def candidates(configured: TokenShape) -> list[Candidate]:
    """The configured shape first, then each other supported shape (same URL, the configured
    extra fields kept; OAuth2 ones add ``grant_type=client_credentials``)."""
    extras = {k: v for k, v in configured.extra_fields.items() if k != "grant_type"}
    oauth = {**GRANT, **extras}
    body = configured.but(client_auth=ClientAuth.BODY)
    found = [
        Candidate("as configured", configured),
        Candidate(
            "JSON fields clientId / clientSecret",
            body.but(
                request_format=TokenRequestFormat.JSON,
                client_id_field="clientId",
                client_secret_field="clientSecret",
                extra_fields=extras,
            ),
        ),
        Candidate(
            "OAuth2 form, client_id / client_secret in the body",
            body.but(
                request_format=TokenRequestFormat.FORM,
                client_id_field="client_id",
                client_secret_field="client_secret",
                extra_fields=oauth,
            ),
        ),
        Candidate(
            "OAuth2 form, HTTP Basic",
            configured.but(
                request_format=TokenRequestFormat.FORM,
                client_auth=ClientAuth.BASIC,
                extra_fields=oauth,
            ),
        ),
        Candidate(
            "OAuth2 fields as JSON",
            body.but(
                request_format=TokenRequestFormat.JSON,
                client_id_field="client_id",
                client_secret_field="client_secret",
                extra_fields=oauth,
            ),
        ),
    ]
    unique: list[Candidate] = []
    for candidate in found:
        if all(_request_part(candidate.shape) != _request_part(u.shape) for u in unique):
            unique.append(candidate)
    return unique


def _request_part(shape: TokenShape) -> tuple[Any, ...]:
    fields = (
        ()
        if shape.client_auth is ClientAuth.BASIC
        else (shape.client_id_field, shape.client_secret_field)
    )
    return (shape.request_format, shape.client_auth, fields, sorted(shape.extra_fields.items()))


def _usable(value: Any) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= 16_384
        and value.isascii()
        and all(0x21 <= ord(c) <= 0x7E for c in value)
    )


def find_token_path(answer: Any, configured: str) -> str | None:
    """Where the token is: the configured path, a usual one, or the first JWT-shaped string."""
    for path in (configured, *TOKEN_PATHS):
        if _usable(dig(answer, path)):
            return path
    return _jwt_path(answer, "")


def _jwt_path(value: Any, prefix: str) -> str | None:
    if not isinstance(value, dict):
        return None
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, str) and JWT_SHAPE.match(item) and "." not in str(key):
            return path
        if isinstance(item, dict) and (found := _jwt_path(item, path + ".")):
            return found
    return None


def find_lifetime_path(answer: Any, configured: str) -> str | None:
    """Where the token's lifetime in seconds is: the configured path or a usual one."""
    for path in (configured, *LIFETIME_PATHS):
        if lifetime_from(answer, TokenShape(url="", expires_in_field=path)) is not None:
            return path
    return None


def shape_settings(shape: TokenShape, settings: RoitSettings) -> list[str]:
    """``VAR=value`` for each token setting that differs from ``settings`` to get ``shape``."""
    current = TokenShape.from_settings(settings)
    pairs: list[tuple[str, str, str]] = [
        ("ROIT_TOKEN_REQUEST_FORMAT", shape.request_format.value, current.request_format.value),
        ("ROIT_TOKEN_CLIENT_AUTH", shape.client_auth.value, current.client_auth.value),
    ]
    if shape.client_auth is ClientAuth.BODY:
        pairs += [
            ("ROIT_TOKEN_CLIENT_ID_FIELD", shape.client_id_field, current.client_id_field),
            (
                "ROIT_TOKEN_CLIENT_SECRET_FIELD",
                shape.client_secret_field,
                current.client_secret_field,
            ),
        ]
    extras = json.dumps(dict(shape.extra_fields), separators=(",", ":"))
    pairs += [
        (
            "ROIT_TOKEN_EXTRA_FIELDS",
            extras,
            json.dumps(dict(current.extra_fields), separators=(",", ":")),
        ),
        ("ROIT_TOKEN_RESPONSE_FIELD", shape.response_field, current.response_field),
        ("ROIT_TOKEN_EXPIRES_IN_FIELD", shape.expires_in_field, current.expires_in_field),
    ]
    return [f"{name}={shlex.quote(new)}" for name, new, old in pairs if new != old]
