"""The failure table (docs/concepts.md), row by row: the push decision and the HTTP answer for
every kind of failure (shared/entry/failures.py)."""

from __future__ import annotations

import logging

import pytest

from shared.core.errors import (
    ConfigurationError,
    Failure,
    InvalidInputError,
    InvocationDeadlineError,
    MalformedResponseError,
    PermanentFailure,
    PublishError,
    ResponseTooLargeError,
    RoitConnectionError,
    RoitTimeoutError,
    TokenExchangeError,
    WebhookVerificationError,
)
from shared.entry.failures import Decision, http_answer, push_decision, report
from shared.roit._transport import status_error

pytestmark = pytest.mark.unit

RETRY, DEAD = Decision.RETRY, Decision.DEAD_LETTER

# (id, error, push decision, push code, HTTP status, HTTP code) — one line per cell of the table
ROWS = [
    # the input itself
    (
        "input-invalid",
        InvalidInputError("bad", field="requestId"),
        DEAD,
        "invalid_message",
        400,
        "invalid_input",
    ),
    (
        "input-too-large",
        InvalidInputError("big", status_code=413),
        DEAD,
        "invalid_message",
        413,
        "invalid_input",
    ),
    (
        "input-wrong-method",
        InvalidInputError("POST", status_code=405),
        DEAD,
        "invalid_message",
        405,
        "invalid_input",
    ),
    (
        "input-too-old",
        PermanentFailure("old", code="too_old"),
        DEAD,
        "too_old",
        400,
        "invalid_input",
    ),
    (
        "input-webhook-signature",
        WebhookVerificationError("stale"),
        DEAD,
        "invalid_message",
        401,
        "unauthenticated",
    ),
    # ROIT's verdict on it
    ("roit-400", status_error(400, "status"), DEAD, "roit_rejected_400", 400, "roit_rejected"),
    ("roit-404", status_error(404, "status"), DEAD, "roit_rejected_404", 404, "not_found"),
    ("roit-409", status_error(409, "status"), DEAD, "roit_rejected_409", 409, "conflict"),
    ("roit-413", status_error(413, "status"), DEAD, "roit_rejected_413", 413, "roit_rejected"),
    ("roit-422", status_error(422, "status"), DEAD, "roit_rejected_422", 422, "roit_rejected"),
    # ROIT failing
    ("roit-500", status_error(500, "status"), RETRY, "upstream", 502, "upstream_unavailable"),
    ("roit-502", status_error(502, "status"), RETRY, "upstream", 502, "upstream_unavailable"),
    ("roit-503", status_error(503, "status"), RETRY, "upstream", 502, "upstream_unavailable"),
    ("roit-408", status_error(408, "status"), RETRY, "upstream", 502, "upstream_unavailable"),
    ("roit-429", status_error(429, "status"), RETRY, "upstream", 503, "upstream_busy"),
    ("roit-timeout", RoitTimeoutError("slow"), RETRY, "upstream", 504, "upstream_timeout"),
    (
        "roit-dropped",
        RoitConnectionError("dropped"),
        RETRY,
        "upstream",
        502,
        "upstream_unavailable",
    ),
    (
        "roit-unreadable",
        MalformedResponseError("junk"),
        RETRY,
        "upstream",
        502,
        "upstream_unavailable",
    ),
    (
        "roit-oversized",
        ResponseTooLargeError("big"),
        RETRY,
        "upstream",
        502,
        "upstream_unavailable",
    ),
    # configuration or upstream auth
    (
        "config-token-endpoint-404",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL", status_code=404),
        RETRY,
        "configuration",
        503,
        "misconfigured",
    ),
    (
        "config-token-endpoint-5xx",
        TokenExchangeError(
            "t", setting="ROIT_TOKEN_URL", failure=Failure.UPSTREAM, status_code=503
        ),
        RETRY,
        "upstream",
        503,
        "misconfigured",
    ),
    (
        "config-token-endpoint-timeout",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL", failure=Failure.UPSTREAM),
        RETRY,
        "upstream",
        503,
        "misconfigured",
    ),
    (
        "config-401-after-renewal",
        status_error(401, "status"),
        RETRY,
        "configuration",
        503,
        "misconfigured",
    ),
    ("config-403", status_error(403, "status"), RETRY, "configuration", 503, "misconfigured"),
    ("config-redirect", status_error(302, "status"), RETRY, "configuration", 503, "misconfigured"),
    ("config-other-4xx", status_error(405, "status"), RETRY, "configuration", 503, "misconfigured"),
    (
        "config-secret",
        ConfigurationError("no secret", setting="ROIT_CREDENTIALS_SECRET"),
        RETRY,
        "configuration",
        503,
        "misconfigured",
    ),
    # Pub/Sub, about a topic
    ("pubsub-topic", PublishError("missing topic"), RETRY, "pubsub", 503, "pubsub_unavailable"),
    # the invocation's deadline
    ("deadline", InvocationDeadlineError("late"), RETRY, "deadline", 504, "deadline_exceeded"),
    # not in the table: a bug
    ("unexpected", ZeroDivisionError("bug"), RETRY, "unexpected", 500, "internal"),
]


@pytest.mark.parametrize(
    ("error", "decision", "code"), [r[1:4] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_push_decision_follows_the_table(error, decision, code) -> None:
    assert push_decision(error) == (decision, code)


@pytest.mark.parametrize(
    ("error", "status", "code"), [(r[1], r[4], r[5]) for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_http_answer_follows_the_table(error, status, code) -> None:
    answer = http_answer(error)
    assert (answer.status, answer.code) == (status, code)
    assert "Traceback" not in answer.message


def test_the_table_names_its_rows_once() -> None:
    ids = [r[0] for r in ROWS]
    assert len(ids) == len(set(ids))


def test_the_dead_letter_code_of_a_handler_verdict_is_its_own() -> None:
    error = PermanentFailure("refused later", code="roit_rejected_422", attributes={"k": "v"})
    assert push_decision(error) == (DEAD, "roit_rejected_422")


def test_http_answer_names_the_field_never_its_value() -> None:
    answer = http_answer(InvalidInputError("requestId: too long", field="requestId"))
    assert answer.location == "requestId"


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [(None, None), (0.2, "1"), (7.4, "7"), (30, "30")],
    ids=["none", "rounded-up-to-1", "rounded", "whole"],
)
def test_a_rate_limit_passes_retry_after_on(retry_after, header) -> None:
    answer = http_answer(status_error(429, "status", retry_after_s=retry_after))
    assert answer.headers.get("Retry-After") == header


def test_roit_verdict_text_is_not_relayed_to_the_caller() -> None:
    error = status_error(404, "status", detail="requestId secret-value unknown")
    assert "secret-value" not in http_answer(error).message


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> tuple[logging.Logger, _Records]:
    logger = logging.getLogger("unit.failures")
    logger.propagate = False
    handler = _Records()
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    return logger, handler


@pytest.mark.parametrize(
    ("error", "level", "event"),
    [
        (ConfigurationError("x", setting="ROIT_BASE_URL"), logging.ERROR, "config_error"),
        (status_error(403, "status"), logging.ERROR, "config_error"),
        (RuntimeError("bug"), logging.ERROR, "unexpected_error"),
        (status_error(503, "status"), logging.WARNING, None),
        (PublishError("topic"), logging.WARNING, None),
    ],
    ids=["config", "403", "unexpected", "roit-failing", "pubsub"],
)
def test_report_logs_once_at_the_level_the_failure_deserves(records, error, level, event) -> None:
    logger, handler = records
    report(logger, error, "failed", {"k": "v"})
    (record,) = handler.records
    fields = record.__dict__["fields"]
    assert (record.levelno, fields.get("event")) == (level, event)
    if event == "config_error":
        assert fields["setting"] and fields["setting"] in record.getMessage()
    assert (record.exc_info is not None) == (event == "unexpected_error")
