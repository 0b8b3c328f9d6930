"""The token exchange: ROIT's credentials for a token, in whatever shape the endpoint wants.

ROIT does not document its token endpoint, so its shape is configuration
(:class:`TokenShape`, from the ``ROIT_TOKEN_*`` settings): a JSON or form-encoded body, the
client credentials as body fields or as HTTP Basic, extra fixed fields (e.g.
``grant_type=client_credentials``), where the token is in the answer and where its lifetime is.

Every failure becomes a :class:`TokenExchangeError` naming the setting to check; none is
ambiguous (the call that needed the token was never sent). A refused exchange re-reads the
credentials secret once, in case it was rotated.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from shared.core import deadline
from shared.core.errors import (
    Failure,
    MalformedResponseError,
    RoitConnectionError,
    RoitError,
    RoitStatusError,
    TokenExchangeError,
)
from shared.core.logs import get_logger, register_secret
from shared.core.secrets import RoitCredentials, SecretProvider, load_credentials
from shared.core.settings import ClientAuth, RoitSettings, TokenRequestFormat
from shared.roit._transport import Transport
from shared.roit.retry import RetryPolicy, retrying
from shared.roit.token import Issued

__all__ = [
    "TokenExchange",
    "TokenShape",
    "build_token_request",
    "dig",
    "lifetime_from",
    "token_from",
]

log = get_logger("token")

_CREDENTIALS = (
    "the credentials (ROIT_CREDENTIALS_SECRET, or ROIT_CLIENT_ID / ROIT_CLIENT_SECRET), "
    "ROIT_TOKEN_CLIENT_AUTH and ROIT_TOKEN_CLIENT_ID_FIELD / ROIT_TOKEN_CLIENT_SECRET_FIELD"
)
_BODY_SHAPE = "ROIT_TOKEN_REQUEST_FORMAT, ROIT_TOKEN_CLIENT_AUTH and ROIT_TOKEN_EXTRA_FIELDS"


@dataclass(frozen=True)
class TokenShape:
    """How to ask for a token and where to find it in the answer."""

    url: str
    request_format: TokenRequestFormat = TokenRequestFormat.JSON
    client_auth: ClientAuth = ClientAuth.BODY
    client_id_field: str = "clientId"
    client_secret_field: str = "clientSecret"
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    response_field: str = "data.token"
    expires_in_field: str = "data.expiresIn"

    @classmethod
    def from_settings(cls, settings: RoitSettings) -> TokenShape:
        """The shape the ``ROIT_TOKEN_*`` settings describe."""
        return cls(
            url=settings.token_endpoint,
            request_format=settings.token_request_format,
            client_auth=settings.token_client_auth,
            client_id_field=settings.token_client_id_field,
            client_secret_field=settings.token_client_secret_field,
            extra_fields=dict(settings.token_extra_fields),
            response_field=settings.token_response_field,
            expires_in_field=settings.token_expires_in_field,
        )

    def but(self, **changes: Any) -> TokenShape:
        """A copy with some fields changed (``doctor`` tries other shapes)."""
        return replace(self, **changes)


def build_token_request(
    shape: TokenShape, credentials: RoitCredentials
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of a token request in ``shape``."""
    fields = dict(shape.extra_fields)
    headers: dict[str, str] = {}
    secret = credentials.client_secret  # also as ROIT may echo it: form-, URL- or JSON-escaped
    for encoded in (quote_plus(secret), quote(secret, safe=""), json.dumps(secret)[1:-1]):
        register_secret(encoded)
    if shape.client_auth is ClientAuth.BASIC:  # RFC 6749 §2.3.1: each part form-encoded first
        pair = (
            f"{quote(credentials.client_id, safe='')}:{quote(credentials.client_secret, safe='')}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
        register_secret(headers["Authorization"].removeprefix("Basic "))
    else:
        fields[shape.client_id_field] = credentials.client_id
        fields[shape.client_secret_field] = credentials.client_secret
    if shape.request_format is TokenRequestFormat.FORM:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(fields).encode("ascii"), headers
    headers["Content-Type"] = "application/json"
    return json.dumps(fields, separators=(",", ":")).encode(), headers


def dig(answer: Any, dotted: str) -> Any:
    """The value at a dotted path of a JSON answer (``None`` where the path does not lead)."""
    value = answer
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _header_safe(token: str) -> bool:
    return 0 < len(token) <= 16_384 and all(0x21 <= ord(c) <= 0x7E for c in token)


def token_from(answer: Any, shape: TokenShape) -> str:
    """The token at ``shape.response_field``.

    Raises:
        TokenExchangeError: nothing usable there (missing, not a string, or characters that
            cannot go in a header).
    """
    token = dig(answer, shape.response_field)
    if not isinstance(token, str) or not token:
        raise TokenExchangeError(
            f"the token answer has no string at {shape.response_field!r}; "
            "check ROIT_TOKEN_RESPONSE_FIELD",
            setting="ROIT_TOKEN_RESPONSE_FIELD",
        )
    if not _header_safe(token):
        raise TokenExchangeError(
            f"the value at {shape.response_field!r} is not a token (characters that cannot "
            "go in an Authorization header); check ROIT_TOKEN_RESPONSE_FIELD",
            setting="ROIT_TOKEN_RESPONSE_FIELD",
        )
    return token


def lifetime_from(answer: Any, shape: TokenShape) -> float | None:
    """Seconds from ``shape.expires_in_field`` (a positive number or numeric string), if any."""
    value = dig(answer, shape.expires_in_field)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9:
        return float(value)
    return None


def _explain(error: RoitError) -> TokenExchangeError:
    """The configuration problem (or ROIT outage) a failed token request points to."""
    if isinstance(error, TokenExchangeError):
        return error
    failure, setting = Failure.CONFIGURATION, "ROIT_TOKEN_URL"
    status = error.status_code if isinstance(error, RoitStatusError) else None
    if status in (401, 403):
        setting = _CREDENTIALS
    elif status in (400, 415, 422):
        setting = _BODY_SHAPE
    elif error.failure is Failure.UPSTREAM and not isinstance(error, MalformedResponseError):
        failure = Failure.UPSTREAM  # the endpoint is failing or unreachable, not misconfigured
    if isinstance(error, RoitConnectionError):
        setting = "ROIT_TOKEN_URL (and ROIT_BASE_URL)"
    return TokenExchangeError(
        f"token exchange failed: {error.message}; check {setting}",
        setting=setting,
        failure=failure,
        status_code=status,
    )


class TokenExchange:
    """Exchanges the credentials for a token (the :class:`~shared.roit.token.TokenManager`'s
    ``exchange``), with retries inside the current deadline.

    Args:
        settings: the ``ROIT_TOKEN_*`` settings and the retry policy.
        transport: the instance's connection pool.
        secrets: where the credentials secret is read (``None``: from the environment).
        sleep: replaceable for tests.
    """

    def __init__(
        self,
        settings: RoitSettings,
        transport: Transport,
        secrets: SecretProvider | None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.shape = TokenShape.from_settings(settings)
        self._transport = transport
        self._secrets = secrets
        self._sleep = sleep
        self._policy = RetryPolicy(
            settings.retry_max_attempts, settings.retry_backoff_base_s, settings.retry_backoff_max_s
        )

    def __call__(self) -> Issued:
        """A fresh token.

        Raises:
            TokenExchangeError: naming the setting to check.
            SecretAccessError: the credentials secret could not be read.
        """
        with deadline.deadline_scope(self.settings.retry_budget_s):
            credentials = load_credentials(self.settings, self._secrets)
            try:
                answer = self.request(self.shape, credentials)
            except RoitStatusError as refused:  # 401 / 403: perhaps the secret was rotated
                fresh = self._rotated(credentials)
                if fresh is None:
                    raise _explain(refused) from None
                try:
                    answer = self.request(self.shape, fresh)
                except RoitStatusError as again:
                    raise _explain(again) from None
            token = token_from(answer, self.shape)
            log.info("ROIT token exchanged", extra={"fields": {"endpoint": "token"}})
            return Issued(token, lifetime_from(answer, self.shape))

    def request(self, shape: TokenShape, credentials: RoitCredentials) -> Any:
        """One token request in ``shape`` (retried while ROIT is failing); its JSON answer.

        Raises:
            RoitStatusError: a 401 / 403 (the caller may try rotated credentials).
            TokenExchangeError: any other failure.
        """
        content, headers = build_token_request(shape, credentials)

        def attempt() -> Any:
            return self._transport.post(shape.url, content=content, headers=headers).json_or_raise()

        try:
            return retrying(attempt, self._policy, endpoint="token", sleep=self._sleep)
        except RoitStatusError as exc:
            if exc.status_code in (401, 403):
                raise
            raise _explain(exc) from None
        except RoitError as exc:
            raise _explain(exc) from None

    def _rotated(self, used: RoitCredentials) -> RoitCredentials | None:
        """Credentials read afresh from the secret, if they changed since ``used``."""
        name = self.settings.credentials_file or self.settings.credentials_secret
        if self._secrets is None or not name:
            return None
        self._secrets.invalidate(name)
        fresh = load_credentials(self.settings, self._secrets)
        if fresh == used:
            return None
        log.info("ROIT refused the credentials; retrying with the rotated secret")
        return fresh
