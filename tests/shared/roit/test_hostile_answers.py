"""Answers no honest ROIT sends, each one a typed, bounded failure (or harmless), never an
untyped exception, a secret shown, or invalid JSON relayed. A scripted ROIT (httpx's
MockTransport): the sandbox process cannot send most of these on demand."""

from __future__ import annotations

import base64
import json
import time
import tracemalloc
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from shared.core.deadline import deadline_scope
from shared.core.errors import (
    Failure,
    InvocationDeadlineError,
    MalformedResponseError,
    ResponseTooLargeError,
    RoitStatusError,
    ServerError,
    TokenExchangeError,
)
from shared.core.logs import sanitize
from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient
from shared.roit.retry import parse_retry_after
from shared.roit.token import token_expiry

pytestmark = pytest.mark.unit

Handler = Callable[[httpx.Request], httpx.Response]
TOKEN = "opaque-token-value-0123456789"
SECRET = "SUPER/SECRET+s3cr3t value&x"


def _token(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": {"token": TOKEN}})


def _client(handler: Handler, **settings: Any) -> tuple[RoitClient, list[str]]:
    """A client whose ROIT is ``handler`` (the token endpoint answers unless ``handler``
    does); returns it with the paths of every request it sent."""
    sent: list[str] = []

    def roit(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        answer = handler(request)
        return answer if answer is not None else _token(request)

    config = {"base_url": "http://roit.test", "integration_id": "i", "client_id": "client-id",
              "client_secret": SECRET, "retry_max_attempts": 3, "retry_backoff_base_s": 0.001,
              "retry_backoff_max_s": 0.001, **settings}  # fmt: skip
    client = RoitClient(
        RoitSettings.model_validate(config),
        transport=httpx.MockTransport(roit),
        sleep=lambda _: None,
    )
    return client, sent


def _attachs(answer: httpx.Response) -> Handler:
    return lambda request: None if request.url.path.endswith("/token") else answer  # type: ignore[return-value]


# ----------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize(
    "value",
    [
        "Mon, 01 Jan 2024 00:00:00 +9999999999999999999",  # a zone offset too large for C
        "Mon, 99999999999999999999 Jan 2024 00:00:00 GMT",
        "Mon, 01 Jan 99999999999999999999 00:00:00 GMT",
        "Mon, 01 Jan 2024 99999999999999999999:00:00 GMT",
        "-5",
        "nan",
        "1e400",
    ],
)
def test_any_retry_after_is_a_number_or_none(value: str) -> None:
    waited = parse_retry_after(httpx.Headers({"retry-after": value}))
    assert waited is None or 0 <= waited <= 600


def test_an_unreadable_retry_after_still_gives_the_typed_error() -> None:
    headers = {"retry-after": "Mon, 01 Jan 2024 00:00:00 +9999999999999999999"}
    client, _ = _client(_attachs(httpx.Response(503, headers=headers)))
    with pytest.raises(ServerError) as caught:
        client.attachments("r-1")
    assert not caught.value.ambiguous  # a 503: ROIT did not act

    def token_fails(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers=headers)

    client, _ = _client(token_fails)
    with pytest.raises(TokenExchangeError) as refused:
        client.attachments("r-1")
    assert (refused.value.failure, refused.value.ambiguous) == (Failure.UPSTREAM, False)


# ----------------------------------------------------------------------------- token


@pytest.mark.parametrize("exp", ["9" * 400, "1e400", "NaN", "-Infinity", "Infinity"])
def test_an_unusable_jwt_exp_falls_back_to_the_stated_lifetime(exp: str) -> None:
    def part(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    claims = '{"exp": ' + exp + "}"
    token = f"{part('{}')}.{part(claims)}.sig"
    assert token_expiry(token, issued_at=1000.0, expires_in_s=60) == 1060.0


def test_a_token_failure_the_callers_own_deadline_caused_is_not_held_against_the_next() -> None:
    slow = {"left": 1}

    def roit(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/token") and slow["left"]:
            slow["left"] -= 1
            time.sleep(0.4)  # longer than the first caller has
            raise httpx.ReadTimeout("cut by the deadline", request=request)
        return None if request.url.path.endswith("/token") else httpx.Response(200, json=[])

    client, sent = _client(roit)  # type: ignore[arg-type]
    with deadline_scope(0.2), pytest.raises((InvocationDeadlineError, TokenExchangeError)):
        client.attachments("r-1")
    assert client.attachments("r-2") == []  # not the first caller's failure, remembered
    assert sum(path.endswith("/token") for path in sent) == 2


def test_the_invocation_deadline_during_the_token_exchange_is_the_deadline() -> None:
    def roit(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("/token"):
            time.sleep(0.3)
            raise httpx.ReadTimeout("cut by the deadline", request=request)
        return httpx.Response(200, json=[])

    client, sent = _client(roit)  # type: ignore[arg-type]
    with deadline_scope(0.2), pytest.raises(InvocationDeadlineError) as caught:
        client.attachments("r-1")
    assert caught.value.failure is Failure.DEADLINE and not caught.value.ambiguous
    assert "/attachs" not in " ".join(sent)


# ----------------------------------------------------------------------------- bodies


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_in_an_answer_is_not_json(constant: str) -> None:
    body = f'[{{"name": "a.pdf", "size": {constant}}}]'.encode()
    client, _ = _client(_attachs(httpx.Response(200, content=body)))
    with pytest.raises(MalformedResponseError):
        client.attachments("r-1")


@pytest.mark.parametrize("item", [b"{}", b'{"a":1}', b"[[]]", b'"ab"', b"1.5"])
def test_an_answer_of_more_values_than_allowed_is_refused_before_it_is_parsed(
    item: bytes,
) -> None:
    body = b"[" + b",".join([item] * 200_000) + b"]"  # at most 1.4 MB: under the byte cap
    client, _ = _client(_attachs(httpx.Response(200, content=body)), max_response_values=100_000)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match="ROIT_MAX_RESPONSE_VALUES") as caught:
            client.attachments("r-1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.failure is Failure.UPSTREAM and caught.value.ambiguous
    assert peak < 4 * len(body)  # parsed, 200,000 objects would hold ~10-40x the bytes


def test_an_answer_within_the_value_bound_is_read() -> None:
    attachments = [{"name": f"{i}.pdf", "url": f"https://x/{i}"} for i in range(1_000)]
    client, _ = _client(_attachs(httpx.Response(200, json=attachments)), max_response_values=10_000)
    assert len(client.attachments("r-1")) == 1_000


# ----------------------------------------------------------------------------- secrets


@pytest.mark.parametrize("padding", [0, 280, 290, 299])
def test_a_secret_echoed_across_the_cut_of_rois_message_is_never_shown(padding: int) -> None:
    message = "x" * padding + f"bad client {SECRET} and token {TOKEN}"
    client, _ = _client(_attachs(httpx.Response(400, json={"message": message})))
    client.tokens.get()
    with pytest.raises(RoitStatusError) as caught:
        client.attachments("r-1")
    text = caught.value.message
    for secret in (SECRET, TOKEN):
        for cut in range(6, len(secret) + 1):
            assert secret[:cut] not in text, (padding, cut)


def test_the_encoded_forms_of_the_client_secret_are_never_shown() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        echoed = request.headers.get("authorization", "") + " " + request.content.decode()
        return httpx.Response(400, json={"message": f"rejected: {echoed}"})

    for auth, form in (("basic", "form"), ("body", "form"), ("body", "json")):
        client, _ = _client(
            echo, token_client_auth=auth, token_request_format=form, retry_max_attempts=1
        )
        with pytest.raises(TokenExchangeError) as caught:
            client.attachments("r-1")
        basic = base64.b64encode(f"client-id:{quote(SECRET, safe='')}".encode()).decode()
        for secret in (SECRET, basic, json.dumps(SECRET)[1:-1], quote_plus(SECRET)):
            assert secret not in caught.value.message, (auth, form)
            assert secret not in sanitize(f"log line {secret}")


# ----------------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    ("status", "asked"),
    [(500, 1), (502, 1), (504, 1), (520, 1), (524, 1), (599, 1), (999, 1), (503, 3), (522, 3)],
)
def test_a_pending_call_is_asked_again_only_after_a_5xx_that_says_it_was_not_taken_in(
    status: int, asked: int
) -> None:
    client, sent = _client(_attachs(httpx.Response(status)))
    with pytest.raises(RoitStatusError) as caught:
        client.pending_page(b"{}")
    assert caught.value.ambiguous is (asked == 1)
    assert sum(path.endswith("/pending") for path in sent) == asked  # 3 = every attempt
