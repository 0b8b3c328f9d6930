"""One error tree for everything the connector can fail on.

``RoitError`` is the root. ROIT's HTTP answers become ``RoitStatusError`` subclasses, one per
status family, built by :func:`error_from_response`; transport failures become
``RoitConnectionError`` / ``RoitTimeoutError``; a 2xx answer the connector cannot read becomes
``MalformedResponseError``; bad settings are ``ConfigurationError``. Every error says whether
it is *transient* (worth retrying later) — the one fact the retry / dead-letter decision needs.
Messages never carry tokens, secrets or request bodies.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "InvalidInputError",
    "MalformedResponseError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestTimeoutError",
    "RoitConnectionError",
    "RoitError",
    "RoitStatusError",
    "RoitTimeoutError",
    "ServerError",
    "UnprocessableEntityError",
    "WebhookVerificationError",
    "error_from_response",
]

_MAX_DETAIL = 300


class RoitError(Exception):
    """Root of every error the connector raises on purpose."""

    transient: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(RoitError):
    """A setting is missing or invalid. Raised at start-up, naming the variable."""


class InvalidInputError(RoitError):
    """Input from our own users (an HTTP body, a Pub/Sub message) is not valid.

    Attributes:
        field: dotted path of the first offending field, when there is one.
        status_code: the HTTP status an HTTP function answers with.
    """

    def __init__(self, message: str, *, field: str | None = None, status_code: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status_code = status_code


class WebhookVerificationError(RoitError):
    """A partner webhook's signature headers are missing, stale, replayed or do not match."""


class RoitConnectionError(RoitError):
    """ROIT could not be reached, or the connection broke before an answer came.

    Attributes:
        ambiguous: the request may have reached ROIT (a read timeout, a connection dropped
            after sending), so ROIT may have acted on it; ``False`` when it surely did not.
    """

    transient = True

    def __init__(self, message: str, *, ambiguous: bool = True) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class RoitTimeoutError(RoitConnectionError):
    """ROIT did not answer in time."""


class MalformedResponseError(RoitError):
    """ROIT answered 2xx with a body the connector cannot read.

    Treated as transient: a gateway hiccup produces this far more often than a contract change,
    and a retry costs little. Persistent cases end in the dead-letter topic by max attempts.
    """

    transient = True

    def __init__(self, message: str, *, ambiguous: bool = True) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous  # ROIT answered 2xx: it acted on the request


class RoitStatusError(RoitError):
    """ROIT answered with a non-2xx status.

    Attributes:
        status_code: the HTTP status.
        detail: ROIT's own message, shortened, when its body had one.
        retry_after_s: seconds from a ``Retry-After`` header, when ROIT sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail
        self.retry_after_s = retry_after_s

    @property
    def ambiguous(self) -> bool:
        """ROIT may have acted before failing: a 500, or a gateway's 502 / 504."""
        return self.status_code in (500, 502, 504)


class BadRequestError(RoitStatusError):
    """400: ROIT rejected the request body."""


class AuthenticationError(RoitStatusError):
    """401: the token was refused (after one renewal)."""

    transient = True


class PermissionDeniedError(RoitStatusError):
    """403: the credentials may not do this."""


class NotFoundError(RoitStatusError):
    """404: unknown request or integration."""


class RequestTimeoutError(RoitStatusError):
    """408: ROIT timed out reading the request."""

    transient = True


class ConflictError(RoitStatusError):
    """409: the request is not in a state that allows this."""


class UnprocessableEntityError(RoitStatusError):
    """422: the body was understood but refused."""


class RateLimitError(RoitStatusError):
    """429: too many requests; honour ``retry_after_s``."""

    transient = True


class ServerError(RoitStatusError):
    """5xx: ROIT failed."""

    transient = True


_BY_STATUS: dict[int, type[RoitStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: RequestTimeoutError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _detail(response: httpx.Response) -> str | None:
    """ROIT's own error message, if its body is JSON with a message; never the raw body."""
    try:
        body: Any = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    for key in ("message", "error", "detail"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value[:_MAX_DETAIL]
    return None


def error_from_response(
    response: httpx.Response, *, retry_after_s: float | None = None
) -> RoitStatusError:
    """Build the one error that describes a non-2xx ROIT response.

    Args:
        response: the non-2xx response.
        retry_after_s: the parsed ``Retry-After``, if any.

    Returns:
        An instance of the subclass for the status (``ServerError`` for any 5xx,
        ``RoitStatusError`` for other unlisted statuses).
    """
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else RoitStatusError)
    detail = _detail(response)
    endpoint = response.request.url.path if response.request is not None else "?"
    message = f"ROIT answered {status} on {endpoint}"
    if detail:
        message += f": {detail}"
    return cls(message, status_code=status, detail=detail, retry_after_s=retry_after_s)
