"""The failure table (docs/concepts.md, "The failure table"): what each kind of failure becomes.

One function per edge reads the facts on the error (:mod:`shared.core.errors`) and decides:

* :func:`push_decision` — a Pub/Sub-fed function: dead-letter (the message itself is at fault,
  or ROIT gave its verdict on it) or retry (anything else: Pub/Sub redelivers);
* :func:`http_answer` — an HTTP function: the status, code and message the caller sees;
* :func:`report` — the one log line a failure gets: a configuration failure names the setting
  to check, an unexpected error carries its stack trace.

The poller's rules read the same facts: a pending call's failure in :mod:`shared.poll.loop`, a
page's in :mod:`shared.poll.route`, the run's outcome and status in :mod:`shared.poll.summary`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from shared.core.errors import (
    ConflictError,
    Failure,
    InvalidInputError,
    NotFoundError,
    PermanentFailure,
    RateLimitError,
    RoitError,
    RoitStatusError,
    RoitTimeoutError,
    TokenExchangeError,
    WebhookVerificationError,
)
from shared.core.logs import sanitize

__all__ = ["Decision", "HttpAnswer", "http_answer", "push_decision", "report"]


class Decision(StrEnum):
    """What to do with a pushed message whose handling failed."""

    RETRY = "retry"
    DEAD_LETTER = "dead_letter"


def push_decision(error: BaseException) -> tuple[Decision, str]:
    """Retry or dead-letter, and the ``error`` code to record (pure).

    Dead-letter only when the message can never succeed: the input is invalid, or ROIT refused
    it (400, 404, 409, 413, 422). ROIT failing, the configuration, Pub/Sub, the deadline and
    anything unexpected are retried, so no data is thrown away.
    """
    if isinstance(error, PermanentFailure):
        return Decision.DEAD_LETTER, error.code
    if isinstance(error, RoitError) and error.failure is Failure.INPUT:
        return Decision.DEAD_LETTER, "invalid_message"
    if isinstance(error, RoitStatusError) and error.failure is Failure.REJECTED:
        return Decision.DEAD_LETTER, f"roit_rejected_{error.status_code}"
    if isinstance(error, RoitError):
        return Decision.RETRY, error.failure.value
    return Decision.RETRY, "unexpected"


@dataclass(frozen=True)
class HttpAnswer:
    """What an HTTP caller sees for a failure."""

    status: int
    code: str
    message: str
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


_MISCONFIGURED = "the connector cannot work with ROIT as configured; its operators are alerted"


def http_answer(error: BaseException) -> HttpAnswer:
    """The one mapping from a failure to an HTTP answer (pure).

    The caller is blamed (4xx) only for its own input or ROIT's verdict on it; ROIT failing is
    502 / 503 (rate limited) / 504 (too slow); configuration, Pub/Sub and Secret Manager
    failures are 503, and so is any token-endpoint failure (its 5xx and timeouts included: the
    table's row for upstream auth); the invocation's deadline is 504; anything unexpected is a
    bare 500.
    """
    if isinstance(error, InvalidInputError):
        return HttpAnswer(error.status_code, "invalid_input", error.message, error.field)
    if isinstance(error, WebhookVerificationError):
        return HttpAnswer(401, "unauthenticated", error.message)
    if not isinstance(error, RoitError):
        return HttpAnswer(500, "internal", "internal error")
    failure = error.failure
    if failure is Failure.INPUT:
        return HttpAnswer(400, "invalid_input", sanitize(error.message))
    if isinstance(error, RoitStatusError) and failure is Failure.REJECTED:
        # ROIT's verdict, in our words: ROIT's own text may quote what the caller sent (its
        # 404s name the requestId), so it goes to the log, not back to the caller.
        if isinstance(error, NotFoundError):
            return HttpAnswer(404, "not_found", "ROIT does not know this request or integration")
        if isinstance(error, ConflictError):
            return HttpAnswer(
                409, "conflict", "ROIT: the request is not in a state that allows this"
            )
        return HttpAnswer(error.status_code, "roit_rejected", "ROIT refused the request")
    if isinstance(error, TokenExchangeError):
        return HttpAnswer(503, "misconfigured", _MISCONFIGURED)
    retry = _retry_after(error)
    if failure is Failure.UPSTREAM:
        if isinstance(error, RoitTimeoutError):
            return HttpAnswer(504, "upstream_timeout", "ROIT did not answer in time", None, retry)
        if isinstance(error, RateLimitError):
            return HttpAnswer(503, "upstream_busy", "ROIT asks to slow down", None, retry)
        return HttpAnswer(502, "upstream_unavailable", "ROIT is failing; try again later")
    if failure is Failure.DEADLINE:
        return HttpAnswer(504, "deadline_exceeded", "the request did not finish in time")
    if failure is Failure.PUBSUB:
        return HttpAnswer(503, "pubsub_unavailable", "Pub/Sub is unavailable; try again later")
    if failure is Failure.SECRET_STORE:
        return HttpAnswer(
            503, "secret_store_unavailable", "Secret Manager is unavailable; try again later"
        )
    if failure is Failure.STORE:
        return HttpAnswer(503, "store_unavailable", "the connector's store is unavailable; retry")
    if failure is Failure.BUSY:
        return HttpAnswer(409, "in_progress", "this is being done already; try again later")
    return HttpAnswer(503, "misconfigured", _MISCONFIGURED)


def _retry_after(error: RoitError) -> dict[str, str]:
    seconds = error.retry_after_s if isinstance(error, RoitStatusError) else None
    return {"Retry-After": str(max(1, round(seconds)))} if seconds else {}


def report(log: logging.Logger, error: BaseException, message: str, fields: dict[str, Any]) -> None:
    """Log a failure once, at the level it deserves, with what an operator needs.

    A configuration failure is an ERROR with ``event=config_error`` and the ``setting`` to
    check; an unexpected error is an ERROR with its stack trace (Cloud Error Reporting picks
    it up); anything else is a WARNING.
    """
    if not isinstance(error, RoitError):
        log.error(
            f"{message}: unexpected error",
            exc_info=error,
            extra={"fields": {**fields, "event": "unexpected_error"}},
        )
        return
    details = {**fields, "failure": error.failure.value, "reason": sanitize(error.message)}
    if error.failure is Failure.CONFIGURATION:
        log.error(
            f"{message}: check {error.setting or 'the settings'}",
            extra={"fields": {**details, "event": "config_error", "setting": error.setting}},
        )
        return
    if error.failure is Failure.SECRET_STORE:  # the platform, named as such: not ROIT
        log.error(message, extra={"fields": {**details, "event": "secret_store_unavailable"}})
        return
    log.warning(message, extra={"fields": details})
