"""One error tree for everything the connector can fail on, and the facts every decision needs.

Three facts live on :class:`RoitError`, set where an error is made and read where a decision is
taken: :attr:`~RoitError.failure` (*what* failed: a row of the failure table, docs/concepts.md),
:attr:`~RoitError.ambiguous` (ROIT may have acted) and :attr:`~RoitError.setting` (what an
operator should check); ``transient`` follows from ``failure``. Messages never carry tokens,
secrets or bodies; ROIT's text is sanitised where it enters (``shared.roit._transport``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "NOT_ACTED_5XX",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "Failure",
    "InvalidInputError",
    "InvocationDeadlineError",
    "MalformedResponseError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermanentFailure",
    "PermissionDeniedError",
    "PublishError",
    "RateLimitError",
    "RedirectError",
    "RequestTimeoutError",
    "ResponseTooLargeError",
    "RoitConnectionError",
    "RoitError",
    "RoitStatusError",
    "RoitTimeoutError",
    "ServerError",
    "TokenExchangeError",
    "UnexpectedStatusError",
    "UnprocessableEntityError",
    "WebhookVerificationError",
]


class Failure(StrEnum):
    """What failed: one row of the failure table every function follows."""

    INPUT = "input"  # the message or body itself can never succeed
    REJECTED = "rejected"  # ROIT refused it (400, 404, 409, 413, 422)
    UPSTREAM = "upstream"  # ROIT is failing: 5xx, 429, 408, timeouts, bad or oversized answers
    CONFIGURATION = "configuration"  # settings or upstream auth: token exchange, 401, 403, 3xx
    PUBSUB = "pubsub"  # Pub/Sub failed about a topic (missing, forbidden, unavailable)
    SECRET_STORE = "secret_store"  # Secret Manager unavailable, hanging or answering garbage
    DEADLINE = "deadline"  # the invocation's own deadline came before the work was done
    STORE = "store"  # the idempotency store (Firestore) failed: nothing was done, try again
    BUSY = "busy"  # another instance is doing this very thing now: try again later


_PERMANENT = frozenset({Failure.INPUT, Failure.REJECTED})


class RoitError(Exception):
    """Root of every error the connector raises on purpose.

    Args:
        message: what happened, safe to log (no secrets, no request bodies).
        failure: overrides the class's :attr:`failure`.
        ambiguous: overrides the class's :attr:`ambiguous`.
        setting: the setting to check, for a configuration failure.
    """

    failure: Failure = Failure.UPSTREAM
    ambiguous: bool = False
    setting: str | None = None

    def __init__(
        self,
        message: str,
        *,
        failure: Failure | None = None,
        ambiguous: bool | None = None,
        setting: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if failure is not None:
            self.failure = failure
        if ambiguous is not None:
            self.ambiguous = ambiguous
        if setting is not None:
            self.setting = setting

    @property
    def transient(self) -> bool:
        """Trying again later may succeed: anything but the input or ROIT's verdict on it."""
        return self.failure not in _PERMANENT


class ConfigurationError(RoitError):
    """A setting is missing or invalid (raised at start-up, naming the variable)."""

    failure = Failure.CONFIGURATION


class InvalidInputError(RoitError):
    """Input from our own users (an HTTP body, a Pub/Sub message) is not valid; ``field`` is
    the dotted path of the first offending field, ``status_code`` the HTTP answer."""

    failure = Failure.INPUT

    def __init__(self, message: str, *, field: str | None = None, status_code: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status_code = status_code


class WebhookVerificationError(RoitError):
    """A partner webhook's signature headers are missing, stale, replayed or do not match."""

    failure = Failure.INPUT


class InvocationDeadlineError(RoitError):
    """The invocation has no time left for the next step; what is not done is reported."""

    failure = Failure.DEADLINE


class PublishError(RoitError):
    """Pub/Sub failed a publish: ``PUBSUB`` when the topic is at fault (missing, forbidden,
    unavailable), ``INPUT`` when the message is."""

    failure = Failure.PUBSUB


class RoitConnectionError(RoitError):
    """ROIT could not be reached, or the connection broke before a whole answer came
    (``ambiguous=False`` when the request surely never reached ROIT)."""

    ambiguous = True


class RoitTimeoutError(RoitConnectionError):
    """ROIT did not answer (or finish answering) before the call's deadline."""


class MalformedResponseError(RoitError):
    """ROIT answered 2xx with a body the connector cannot read (ROIT did answer: ambiguous)."""

    ambiguous = True


class ResponseTooLargeError(MalformedResponseError):
    """ROIT's answer, once decoded, is larger than ``ROIT_MAX_RESPONSE_BYTES``."""


class TokenExchangeError(RoitError):
    """The token exchange failed (never ambiguous: the call that needed the token was not
    sent); ``UPSTREAM`` when the token endpoint was failing, else a configuration failure."""

    failure = Failure.CONFIGURATION
    ambiguous = False

    def __init__(
        self,
        message: str,
        *,
        setting: str,
        failure: Failure = Failure.CONFIGURATION,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message, failure=failure, setting=setting)
        self.status_code = status_code


class PermanentFailure(RoitError):
    """A handler's own verdict that a message can never succeed: it is dead-lettered.

    Attributes:
        code: the dead letter's ``error`` attribute.
        data: what to dead-letter instead of the original data (e.g. only the part of a
            message that was not delivered); ``None`` keeps the original.
        attributes: extra attributes for the dead letter.
    """

    failure = Failure.INPUT

    def __init__(
        self,
        message: str,
        *,
        code: str,
        data: bytes | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.data = data
        self.attributes = attributes or {}


NOT_ACTED_5XX = frozenset({501, 503, 505, 511, 521, 522, 523, 525, 526})
"""5xx statuses that say the request was not taken in (not implemented, unavailable, an
unsupported version, a proxy that could not reach or secure its way to the origin): a pending
call answered so is asked again. Any other 5xx may have been acted on."""


class RoitStatusError(RoitError):
    """ROIT answered with a status the call cannot use (built by :func:`status_error`).

    Attributes:
        status_code: the HTTP status.
        detail: ROIT's own message, shortened and sanitised, when its body had one.
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
        # ROIT, or a gateway after it, may have acted on any 5xx (500, 502, 504, a proxy's 520
        # or 524, ...) but those that say the request was not taken in.
        super().__init__(message, ambiguous=status_code >= 500 and status_code not in NOT_ACTED_5XX)
        self.status_code = status_code
        self.detail = detail
        self.retry_after_s = retry_after_s


class RedirectError(RoitStatusError):
    """3xx: the client does not follow redirects; the URL setting is wrong."""

    failure = Failure.CONFIGURATION
    setting = "ROIT_BASE_URL"


class BadRequestError(RoitStatusError):
    """400: ROIT rejected the request body."""

    failure = Failure.REJECTED


class AuthenticationError(RoitStatusError):
    """401: the token was refused, even after one renewal."""

    failure = Failure.CONFIGURATION
    setting = "ROIT_AUTH_SCHEME (and the credentials in ROIT_CREDENTIALS_SECRET)"


class PermissionDeniedError(RoitStatusError):
    """403: the credentials may not do this."""

    failure = Failure.CONFIGURATION
    setting = "ROIT_INTEGRATION_ID (and the credentials' permissions at ROIT)"


class NotFoundError(RoitStatusError):
    """404: unknown request or integration."""

    failure = Failure.REJECTED


class RequestTimeoutError(RoitStatusError):
    """408: ROIT timed out reading the request."""


class ConflictError(RoitStatusError):
    """409: the request is not in a state that allows this."""

    failure = Failure.REJECTED


class PayloadTooLargeError(RoitStatusError):
    """413: this request is too large for ROIT."""

    failure = Failure.REJECTED


class UnprocessableEntityError(RoitStatusError):
    """422: the body was understood but refused."""

    failure = Failure.REJECTED


class RateLimitError(RoitStatusError):
    """429: too many requests; honour ``retry_after_s``."""


class ServerError(RoitStatusError):
    """5xx: ROIT failed."""


class UnexpectedStatusError(RoitStatusError):
    """Another 4xx (405, 415 …): the request does not fit the endpoint, whatever its content."""

    failure = Failure.CONFIGURATION
    setting = "ROIT_BASE_URL"
