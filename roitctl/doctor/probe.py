"""``doctor``'s ROIT checks: the token exchange and the ``Authorization`` scheme.

Both have no side effect at ROIT: the token endpoint only issues a token, and the scheme is
tried on one read that cannot find anything (the attachments of a request id that cannot
exist: a 404 means the token was accepted, a 401 that it was not). ``pending``, ``status``,
``reprocess`` and ``delivery`` are never called.

When the configured token request is refused, the other supported shapes are tried (JSON
fields, form-encoded OAuth2 client credentials, HTTP Basic); when the answer has no token
where ``ROIT_TOKEN_RESPONSE_FIELD`` says, the answer is searched for one. Either way the
settings that would work are printed. Tokens and credentials are never printed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from roitctl.doctor.checks import Check, Status
from roitctl.doctor.reach import WRONG_PATH, unreachable, wrong_path
from roitctl.doctor.shapes import (
    JWT_SHAPE,
    Candidate,
    candidates,
    find_lifetime_path,
    find_token_path,
    shape_settings,
)
from shared.core import deadline
from shared.core.errors import Failure, RoitError, RoitStatusError, TokenExchangeError
from shared.core.secrets import RoitCredentials
from shared.core.settings import AuthScheme, RoitSettings
from shared.roit._transport import Transport
from shared.roit.client import ENDPOINTS
from shared.roit.exchange import TokenExchange, TokenShape, dig, lifetime_from
from shared.roit.token import token_expiry

__all__ = [
    "DEFAULT_PROBE_REQUEST_ID",
    "TokenFound",
    "TokenProbe",
    "probe_scheme",
    "probe_token",
    "token_check",
]

DEFAULT_PROBE_REQUEST_ID = "doctor-00000000-0000-0000-0000-000000000000"
"""The request id ``doctor`` asks the attachments of: one that cannot exist at ROIT."""

_SHAPE_REFUSALS = (400, 401, 403, 405, 415, 422)
"""Answers that may mean "not in this shape": the other shapes are tried."""


@dataclass(frozen=True)
class TokenFound:
    """A token the endpoint issued, and the shape (with the answer's paths) that got it."""

    label: str
    shape: TokenShape
    token: str = field(repr=False)
    lifetime_s: float
    lifetime_source: str
    is_jwt: bool
    has_exp: bool = False


@dataclass
class TokenProbe:
    """What the token endpoint did with each shape tried."""

    found: TokenFound | None = None
    attempts: list[str] = field(default_factory=list)
    stopped: RoitError | None = None  # a failure no other shape can cure (URL, outage)


def probe_token(exchange: TokenExchange, credentials: RoitCredentials) -> TokenProbe:
    """Ask for a token in the configured shape, then in the others while it is refused."""
    probe = TokenProbe()
    for candidate in candidates(exchange.shape):
        try:
            with deadline.deadline_scope(exchange.settings.retry_budget_s):
                answer = exchange.request(candidate.shape, credentials)
        except (RoitStatusError, TokenExchangeError) as exc:
            status = getattr(exc, "status_code", None)
            detail = f": {exc.detail}" if isinstance(exc, RoitStatusError) and exc.detail else ""
            if isinstance(exc, TokenExchangeError) and status in _SHAPE_REFUSALS:
                detail = _detail_of(exc.message)
            said = f"{status}{detail}" if status else exc.message
            probe.attempts.append(f"{candidate.label}: {said}")
            if status not in _SHAPE_REFUSALS:
                probe.stopped = exc
                return probe
            continue
        except RoitError as exc:  # an unreadable answer: the endpoint, not the shape
            probe.attempts.append(f"{candidate.label}: {exc.message}")
            probe.stopped = exc
            return probe
        path = find_token_path(answer, candidate.shape.response_field)
        if path is None:
            keys = ", ".join(sorted(_paths(answer))) or "none"
            probe.attempts.append(f"{candidate.label}: answered, with no token (fields: {keys})")
            probe.stopped = TokenExchangeError(
                "the token answer holds nothing shaped like a token",
                setting="ROIT_TOKEN_RESPONSE_FIELD",
            )
            return probe
        probe.attempts.append(f"{candidate.label}: token issued")
        probe.found = _found(candidate, answer, path)
        return probe
    return probe


def _detail_of(message: str) -> str:
    """ROIT's own words from a TokenExchangeError message (between the status and '; check')."""
    head = message.split("; check ", 1)[0]
    _, sep, detail = head.partition(": ")
    _, sep2, roit = detail.partition(": ")
    return f": {roit}" if sep and sep2 else ""


def _paths(answer: Any, prefix: str = "") -> list[str]:
    """The dotted field names of an answer (names only, never values)."""
    if not isinstance(answer, dict):
        return []
    names: list[str] = []
    for key, value in answer.items():
        names.append(f"{prefix}{key}")
        names.extend(_paths(value, f"{prefix}{key}."))
    return names[:30]


def _found(candidate: Candidate, answer: Any, token_path: str) -> TokenFound:
    token = str(dig(answer, token_path))
    lifetime_path = find_lifetime_path(answer, candidate.shape.expires_in_field)
    shape = candidate.shape.but(
        response_field=token_path,
        expires_in_field=lifetime_path or candidate.shape.expires_in_field,
    )
    expires_in = lifetime_from(answer, shape) if lifetime_path else None
    now = time.time()
    is_jwt = bool(JWT_SHAPE.match(token))
    try:
        claims = jwt.decode(token, options={"verify_signature": False}) if is_jwt else {}
    except jwt.PyJWTError:
        claims, is_jwt = {}, False
    has_exp = isinstance(claims, dict) and isinstance(claims.get("exp"), int | float)
    if has_exp:
        source = "the JWT's exp"
    elif expires_in is not None:
        source = f"the answer's {lifetime_path}"
    else:
        source = "ROIT's documented 8 h (no exp, no expires_in)"
    lifetime = token_expiry(token, issued_at=now, expires_in_s=expires_in) - now
    return TokenFound(candidate.label, shape, token, lifetime, source, is_jwt, has_exp)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def token_check(probe: TokenProbe, settings: RoitSettings) -> Check:
    """The report line for the token exchange."""
    tried = "; ".join(probe.attempts)
    url = settings.token_endpoint
    found = probe.found
    if found is None:
        error = probe.stopped
        if error is None:
            return Check(
                "token exchange",
                Status.FAILED,
                f"{url} refused every supported shape ({tried})",
                [
                    "check the credentials (ROIT_CREDENTIALS_SECRET, or ROIT_CLIENT_ID / "
                    "ROIT_CLIENT_SECRET), ROIT_TOKEN_EXTRA_FIELDS (a scope?) and ROIT_TOKEN_URL"
                ],
            )
        setting = error.setting or "ROIT_TOKEN_URL"
        status = (
            error.status_code if isinstance(error, RoitStatusError | TokenExchangeError) else None
        )
        timeout_s = settings.http_connect_timeout_s
        if status is None and (why := unreachable(url, timeout_s=timeout_s)):
            detail = f"{url} cannot be reached: {why}"
            return Check("token exchange", Status.FAILED, detail, [f"check {setting}"])
        if status in WRONG_PATH:
            detail = f"{url}: {wrong_path(url, status)} ({tried})"
            return Check("token exchange", Status.FAILED, detail, [f"check {setting}"])
        what = (
            "ROIT's token endpoint is failing"
            if error.failure is Failure.UPSTREAM
            else "the token exchange failed"
        )
        return Check(
            "token exchange", Status.FAILED, f"{what} at {url} ({tried})", [f"check {setting}"]
        )
    kind = "a JWT" if found.is_jwt else "an opaque token"
    life = f"valid {_duration(found.lifetime_s)} (from {found.lifetime_source})"
    fixes = shape_settings(found.shape, settings)
    if found.has_exp:  # the JWT's own exp wins: where expires_in is does not matter
        fixes = [f for f in fixes if not f.startswith("ROIT_TOKEN_EXPIRES_IN_FIELD=")]
    if not fixes:
        detail = f"{url} issued {kind} at {found.shape.response_field}, {life}"
        if found.lifetime_source.startswith("ROIT's documented"):
            detail += "; with no expires_in, it is renewed only after ROIT refuses it"
        return Check("token exchange", Status.OK, detail)
    return Check(
        "token exchange",
        Status.FAILED,
        f"{url} issued {kind}, {life}, only with other settings ({tried})",
        fixes,
    )


def probe_scheme(
    transport: Transport, settings: RoitSettings, token: str, request_id: str
) -> Check:
    """Try the token on the attachments of ``request_id`` with the configured scheme, then
    the other one if ROIT answers 401."""
    body = json.dumps({"requestId": request_id, "integrationId": settings.integration_id})
    configured = settings.auth_scheme
    other = AuthScheme.RAW if configured is AuthScheme.BEARER else AuthScheme.BEARER
    statuses: dict[AuthScheme, int] = {}
    for scheme in (configured, other):
        value = f"Bearer {token}" if scheme is AuthScheme.BEARER else token
        headers = {"Authorization": value, "Content-Type": "application/json"}
        try:
            with deadline.deadline_scope(settings.retry_budget_s):
                answer = transport.post(
                    ENDPOINTS["attachs"], content=body.encode(), headers=headers
                )
        except RoitError as exc:
            why = unreachable(settings.base_url, timeout_s=settings.http_connect_timeout_s)
            return Check(
                "authorization scheme",
                Status.FAILED,
                f"the probe call failed: {why or exc.message}",
                ["check ROIT_BASE_URL"],
            )
        statuses[scheme] = answer.status
        if answer.status != 401:
            break
    seen = ", ".join(f"{s.value} -> {code}" for s, code in statuses.items())
    probe = f"attachments of {request_id!r}: {seen}"
    status = statuses[configured]
    if status == 401 and statuses.get(other, 401) == 401:
        return Check(
            "authorization scheme",
            Status.FAILED,
            f"ROIT refused the token with both schemes ({probe})",
            ["check that ROIT_TOKEN_URL issues tokens for ROIT_BASE_URL's environment"],
        )
    if status == 401:
        return Check(
            "authorization scheme",
            Status.FAILED,
            f"ROIT accepts the token only as {other.value} ({probe})",
            [f"ROIT_AUTH_SCHEME={other.value}"],
        )
    if status == 403:
        return Check(
            "authorization scheme",
            Status.FAILED,
            f"ROIT knows the token but refused access ({probe})",
            ["check ROIT_INTEGRATION_ID and the integration's permissions in ROIT ADMIN"],
        )
    if status >= 500 or status == 429:
        return Check(
            "authorization scheme",
            Status.FAILED,
            f"ROIT is failing; the scheme could not be checked ({probe})",
            ["run doctor again later"],
        )
    return Check(
        "authorization scheme",
        Status.OK,
        f"ROIT accepted the token as {configured.value} ({probe})",
    )
