"""Retry policy and the error factory: pure functions, no I/O."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import errors
from shared.retry import backoff_delay, parse_retry_after, should_retry


def _response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request("POST", "http://roit.test/ibs-core-entrypoint/x")
    return httpx.Response(status, content=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "cls", "transient"),
    [
        (400, errors.BadRequestError, False),
        (401, errors.AuthenticationError, True),
        (403, errors.PermissionDeniedError, False),
        (404, errors.NotFoundError, False),
        (408, errors.RequestTimeoutError, True),
        (409, errors.ConflictError, False),
        (422, errors.UnprocessableEntityError, False),
        (429, errors.RateLimitError, True),
        (500, errors.ServerError, True),
        (503, errors.ServerError, True),
        (418, errors.RoitStatusError, False),
    ],
)
def test_error_from_response_picks_one_class_per_status(status, cls, transient) -> None:
    err = errors.error_from_response(_response(status))
    assert type(err) is cls
    assert err.status_code == status
    assert err.transient is transient
    assert should_retry(err) is transient


def test_error_keeps_roits_message_but_not_the_body() -> None:
    body = b'{"message": "requestId not found", "secretEcho": "hunter2"}'
    err = errors.error_from_response(_response(404, body))
    assert err.detail == "requestId not found"
    assert "hunter2" not in str(err)
    assert "/ibs-core-entrypoint/x" in str(err)


def test_non_json_error_body_is_not_quoted() -> None:
    err = errors.error_from_response(_response(502, b"<html>bad gateway token=abc</html>"))
    assert err.detail is None
    assert "token=abc" not in str(err)


def test_connection_errors_are_transient_and_others_are_not() -> None:
    assert should_retry(errors.RoitTimeoutError("t"))
    assert should_retry(errors.RoitConnectionError("c"))
    assert should_retry(errors.MalformedResponseError("m"))
    assert not should_retry(errors.ConfigurationError("c"))
    assert not should_retry(ValueError("not ours"))


def test_parse_retry_after_seconds_ms_and_date() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "1500"}) == 1.5
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=now) == pytest.approx(7.0, abs=1)
    assert parse_retry_after({"Retry-After": email.utils.formatdate(now - 60)}, now=now) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "99999"}) == 600.0


@given(attempt=st.integers(min_value=1, max_value=40))
def test_backoff_grows_is_capped_and_jittered(attempt: int) -> None:
    delay = backoff_delay(attempt, base_s=0.5, cap_s=8.0, jitter=0.25)
    ideal = min(8.0, 0.5 * 2 ** (attempt - 1))
    assert 0.75 * ideal <= delay <= ideal


def test_retry_after_wins_when_longer() -> None:
    err = errors.RateLimitError("r", status_code=429, retry_after_s=5.0)
    assert backoff_delay(1, base_s=0.5, error=err) == 5.0


def test_token_manager_waiters_do_not_repeat_a_failed_exchange() -> None:
    import threading

    from shared.token import TokenManager

    calls: list[int] = []
    gate = threading.Event()

    def failing_exchange() -> str:
        calls.append(1)
        gate.wait(1)
        raise errors.ServerError("down", status_code=503)

    manager = TokenManager(failing_exchange)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            manager.get()
        except errors.ServerError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(failures) == 10
    assert len(calls) == 1  # the nine waiters failed fast instead of exchanging in turn


def test_token_manager_does_not_remember_refused_credentials() -> None:
    from shared.token import TokenManager

    answers = iter([errors.AuthenticationError("no", status_code=401), "tok"])

    def exchange() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    manager = TokenManager(exchange)
    with pytest.raises(errors.AuthenticationError):
        manager.get()
    assert manager.get() == "tok"  # e.g. a rotated secret works at once


def test_lazy_builds_once_across_threads_and_retries_after_a_failure() -> None:
    import threading

    from shared._lazy import Lazy

    builds: list[int] = []
    gate = threading.Event()

    def factory() -> object:
        builds.append(1)
        gate.wait(1)
        if len(builds) == 1:
            raise RuntimeError("first build fails")
        return object()

    lazy = Lazy(factory)
    with pytest.raises(RuntimeError):
        gate.set()
        lazy.get()
    values: list[object] = []
    threads = [threading.Thread(target=lambda: values.append(lazy.get())) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(builds) == 2 and len({id(v) for v in values}) == 1
