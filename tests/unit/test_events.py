"""A push function's edge, in process: for every row of the failure table, what Pub/Sub is
answered and what is dead-lettered (shared/events.py), with a publisher that counts calls."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import flask
import pytest
from unit_fakes import CountingPublisher

from shared.core.errors import (
    ConfigurationError,
    Failure,
    InvalidInputError,
    InvocationDeadlineError,
    PermanentFailure,
    PublishError,
    RoitTimeoutError,
    TokenExchangeError,
)
from shared.push.handler import handle_push
from shared.roit._transport import status_error

pytestmark = pytest.mark.unit

_app = flask.Flask(__name__)
_SETTINGS = SimpleNamespace(
    invocation_s=60.0,
    max_message_age_s=3600.0,
    dead_letter_topic="dl",
    max_response_bytes=32 * 1024 * 1024,  # the caps of shared.core.budget, unsized instance
    max_response_values=1_000_000,
    max_message_values=1_000_000,
    instance_memory_mib=None,
    instance_concurrency=None,
)
_RUNTIME = SimpleNamespace(
    settings=_SETTINGS, request_context=lambda request: contextlib.nullcontext("c")
)


def _envelope(
    data: bytes = b'{"x":1}', attributes: dict[str, str] | None = None, age_s: float = 1
) -> dict[str, Any]:
    published = datetime.now(UTC) - timedelta(seconds=age_s)
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": attributes if attributes is not None else {"requestId": "r-1"},
            "messageId": "m-1",
            "publishTime": published.isoformat(),
        },
        "subscription": "projects/p/subscriptions/s",
    }


def _push(
    handler: Callable[[Any], dict[str, Any]],
    publisher: CountingPublisher,
    envelope: dict[str, Any] | None = None,
    **request: Any,
) -> flask.Response:
    request = request or {"method": "POST", "json": envelope or _envelope()}
    with _app.test_request_context("/", **request):
        return handle_push(flask.request, _RUNTIME, publisher, handler)  # type: ignore[arg-type]


def _raises(error: Exception) -> Callable[[Any], dict[str, Any]]:
    def handler(message: Any) -> dict[str, Any]:
        raise error

    return handler


# (id, the handler's failure, the status Pub/Sub gets, the body's status, its error code)
ROWS = [
    ("input", InvalidInputError("bad", field="status"), 200, "dead_lettered", "invalid_message"),
    ("roit-verdict-422", status_error(422, "status"), 200, "dead_lettered", "roit_rejected_422"),
    ("roit-verdict-404", status_error(404, "status"), 200, "dead_lettered", "roit_rejected_404"),
    ("roit-failing-500", status_error(500, "status"), 503, "retry", "upstream"),
    ("roit-failing-429", status_error(429, "status", retry_after_s=9), 503, "retry", "upstream"),
    ("roit-timeout", RoitTimeoutError("slow"), 503, "retry", "upstream"),
    (
        "config-token",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL"),
        503,
        "retry",
        "configuration",
    ),
    (
        "config-token-down",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL", failure=Failure.UPSTREAM),
        503,
        "retry",
        "upstream",
    ),
    ("config-401", status_error(401, "status"), 503, "retry", "configuration"),
    ("config-403", status_error(403, "status"), 503, "retry", "configuration"),
    ("config-redirect", status_error(307, "status"), 503, "retry", "configuration"),
    ("config-secret", ConfigurationError("no secret"), 503, "retry", "configuration"),
    ("pubsub-topic", PublishError("topic gone"), 503, "retry", "pubsub"),
    ("deadline", InvocationDeadlineError("late"), 503, "retry", "deadline"),
    ("a-bug", KeyError("bug"), 503, "retry", "unexpected"),
]


@pytest.mark.parametrize(
    ("error", "status", "outcome", "code"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_each_failure_is_answered_as_the_table_says(error, status, outcome, code) -> None:
    publisher = CountingPublisher()
    response = _push(_raises(error), publisher)
    body = response.get_json()
    assert (response.status_code, body["status"], body["error"]) == (status, outcome, code)
    if outcome == "dead_lettered":
        ((topic, data, attributes),) = publisher.published
        assert (topic, data) == ("dl", b'{"x":1}')  # the message as it came
        assert attributes["error"] == code and attributes["requestId"] == "r-1"
        assert attributes["originalMessageId"] == "m-1"
        assert body["deadLetterMessageId"] == "id-1"
    else:
        assert publisher.calls == []  # nothing dead-lettered: Pub/Sub redelivers


def test_a_rate_limit_passes_retry_after_on_to_pubsub() -> None:
    response = _push(_raises(status_error(429, "status", retry_after_s=9)), CountingPublisher())
    assert response.headers["Retry-After"] == "9"


def test_a_message_too_old_is_dead_lettered_without_running_the_handler() -> None:
    ran: list[Any] = []
    publisher = CountingPublisher()
    response = _push(lambda m: ran.append(m) or {}, publisher, _envelope(age_s=7200))
    assert (response.status_code, response.get_json()["error"], ran) == (200, "too_old", [])
    assert publisher.published[0][2]["error"] == "too_old"


def test_a_handled_message_is_acknowledged() -> None:
    publisher = CountingPublisher()
    response = _push(lambda m: {"done": m.message_id}, publisher)
    assert (response.status_code, response.get_json()["done"], publisher.calls) == (200, "m-1", [])


def test_a_dead_letter_that_cannot_be_written_is_not_acknowledged() -> None:
    publisher = CountingPublisher(accept=0)
    response = _push(_raises(InvalidInputError("bad")), publisher)
    assert response.status_code == 503
    assert response.get_json()["error"] == "dead_letter_unavailable"
    assert len(publisher.calls) == 1  # the topic failed: not tried again with other attributes


def test_a_handler_verdict_dead_letters_only_what_it_names() -> None:
    publisher = CountingPublisher()
    error = PermanentFailure("rest refused", code="roit_rejected_422", data=b"rest",
                             attributes={"itemsDelivered": "2"})  # fmt: skip
    assert _push(_raises(error), publisher).status_code == 200
    ((_, data, attributes),) = publisher.published
    assert (data, attributes["itemsDelivered"]) == (b"rest", "2")


@pytest.mark.parametrize(
    ("attributes", "kept", "dropped"),
    [
        ({f"k{i}": "v" for i in range(97)}, 97, None),  # the added ones tip it over 100
        ({"goog-reserved": "x", "ok": "v"}, 1, "true"),  # Pub/Sub refuses an original one
    ],
    ids=["too-many-with-added", "refused-original"],
)
def test_a_dead_letter_pubsub_refuses_keeps_what_it_can(attributes, kept, dropped) -> None:
    publisher = CountingPublisher()
    response = _push(_raises(InvalidInputError("bad")), publisher, _envelope(attributes=attributes))
    assert response.status_code == 200
    ((_, _, written),) = publisher.published
    assert written["error"] == "invalid_message"
    assert len([k for k in written if k in attributes]) == kept
    assert written.get("droppedAttributes") == dropped


@pytest.mark.parametrize(
    ("request_kwargs", "status"),
    [
        ({"method": "GET"}, 405),
        ({"method": "POST", "data": b"", "content_type": "application/json"}, 400),
        ({"method": "POST", "data": b"{", "content_type": "application/json"}, 400),
        ({"method": "POST", "data": b"{}", "content_type": "text/plain"}, 415),
        ({"method": "POST", "json": {"message": {"data": "!!"}}}, 400),
        ({"method": "POST", "json": {"message": {"data": ""}}}, 400),  # no messageId
    ],
    ids=["get", "empty", "not-json", "not-json-type", "not-base64", "no-message-id"],
)
def test_a_request_that_is_not_a_push_envelope_gets_a_4xx_and_nothing_is_kept(
    request_kwargs, status
) -> None:
    publisher = CountingPublisher()
    response = _push(_raises(AssertionError("never run")), publisher, **request_kwargs)
    assert response.status_code == status
    assert publisher.calls == []
