"""The error tree, the retry decision and the token cache: pure functions and threads, no I/O."""

from __future__ import annotations

import email.utils
import threading
import time

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core import errors
from shared.core.errors import Failure
from shared.roit._transport import Answer
from shared.roit.retry import backoff_delay, give_up, parse_retry_after
from shared.roit.token import FAILURE_MEMORY_S, Issued, TokenManager, token_expiry

pytestmark = pytest.mark.unit


def _answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, httpx.Headers(headers or {}), body, "/ibs-core-entrypoint/x")


@pytest.mark.parametrize(
    ("status", "cls", "failure"),
    [
        (301, errors.RedirectError, Failure.CONFIGURATION),
        (307, errors.RedirectError, Failure.CONFIGURATION),
        (400, errors.BadRequestError, Failure.REJECTED),
        (401, errors.AuthenticationError, Failure.CONFIGURATION),
        (403, errors.PermissionDeniedError, Failure.CONFIGURATION),
        (404, errors.NotFoundError, Failure.REJECTED),
        (405, errors.UnexpectedStatusError, Failure.CONFIGURATION),
        (408, errors.RequestTimeoutError, Failure.UPSTREAM),
        (409, errors.ConflictError, Failure.REJECTED),
        (413, errors.PayloadTooLargeError, Failure.REJECTED),
        (415, errors.UnexpectedStatusError, Failure.CONFIGURATION),
        (422, errors.UnprocessableEntityError, Failure.REJECTED),
        (429, errors.RateLimitError, Failure.UPSTREAM),
        (500, errors.ServerError, Failure.UPSTREAM),
        (503, errors.ServerError, Failure.UPSTREAM),
    ],
)
def test_one_class_and_one_failure_per_status(status, cls, failure) -> None:
    with pytest.raises(errors.RoitStatusError) as caught:
        _answer(status).json_or_raise()
    err = caught.value
    assert type(err) is cls
    assert (err.status_code, err.failure) == (status, failure)
    assert err.transient is (failure not in (Failure.INPUT, Failure.REJECTED))
    assert err.ambiguous is (status in (500, 502, 504))
    if failure is Failure.CONFIGURATION:
        assert err.setting  # an operator is told what to check


def test_ambiguous_and_failure_are_declared_on_the_root_and_settable() -> None:
    plain = errors.RoitError("x")
    assert (plain.failure, plain.ambiguous, plain.setting) == (Failure.UPSTREAM, False, None)
    assert errors.RoitConnectionError("c").ambiguous is True
    assert errors.RoitConnectionError("c", ambiguous=False).ambiguous is False
    assert errors.TokenExchangeError("t", setting="ROIT_TOKEN_URL").ambiguous is False
    assert errors.RoitError("x", failure=Failure.DEADLINE).transient is True
    assert errors.InvalidInputError("bad").transient is False


def test_roits_message_is_kept_sanitised_and_the_body_never_quoted() -> None:
    from shared.core.logs import register_secret

    register_secret("my-client-secret-0xCAFE")
    body = b'{"message": "bad secret my-client-secret-0xCAFE for id", "secretEcho": "hunter2"}'
    with pytest.raises(errors.NotFoundError) as caught:
        _answer(404, body).json_or_raise()
    assert caught.value.detail == "bad secret [REDACTED] for id"
    assert "hunter2" not in str(caught.value) and "0xCAFE" not in str(caught.value)
    assert "/ibs-core-entrypoint/x" in str(caught.value)


def test_non_json_error_body_is_not_quoted() -> None:
    with pytest.raises(errors.ServerError) as caught:
        _answer(502, b"<html>bad gateway token=abc</html>").json_or_raise()
    assert caught.value.detail is None
    assert "token=abc" not in str(caught.value)


@pytest.mark.parametrize(
    ("error", "retry_ambiguous", "expected"),
    [
        (errors.ServerError("s", status_code=503), True, False),
        (errors.ServerError("s", status_code=500), True, False),
        (errors.ServerError("s", status_code=500), False, True),  # ROIT may have acted
        (errors.ServerError("s", status_code=503), False, False),  # it surely did not
        (errors.RoitTimeoutError("t"), False, True),
        (errors.RoitTimeoutError("t", ambiguous=False), False, False),
        (errors.RoitConnectionError("c", ambiguous=False), True, False),
        (errors.MalformedResponseError("m"), False, True),
        (errors.ResponseTooLargeError("m"), True, False),
        (errors.RateLimitError("r", status_code=429), True, False),
        (errors.BadRequestError("b", status_code=400), True, True),
        (errors.AuthenticationError("a", status_code=401), True, True),
        (errors.PermissionDeniedError("p", status_code=403), True, True),
        (errors.RedirectError("r", status_code=302), True, True),
        (errors.TokenExchangeError("t", setting="x", failure=Failure.UPSTREAM), True, True),
        (errors.ConfigurationError("c"), True, True),
        (ValueError("not ours"), True, True),
    ],
)
def test_give_up_decides_from_the_error_alone(error, retry_ambiguous, expected) -> None:
    decision = give_up(
        error, attempt=1, max_attempts=5, retry_ambiguous=retry_ambiguous, delay_s=1, remaining_s=9
    )
    assert decision is expected


def test_give_up_when_attempts_or_time_run_out() -> None:
    err = errors.ServerError("s", status_code=503)
    common = {"retry_ambiguous": True, "delay_s": 1.0}
    assert give_up(err, attempt=5, max_attempts=5, remaining_s=9, **common)
    assert give_up(err, attempt=1, max_attempts=5, remaining_s=1.0, **common)  # wait = deadline
    assert not give_up(err, attempt=4, max_attempts=5, remaining_s=1.5, **common)


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
    assert parse_retry_after({"Retry-After": "nan"}) is None


@given(st.text(max_size=40))
def test_parse_retry_after_never_raises(value: str) -> None:
    result = parse_retry_after({"Retry-After": value, "retry-after-ms": value})
    assert result is None or 0.0 <= result <= 600.0


@given(attempt=st.integers(min_value=1, max_value=400))
def test_backoff_grows_is_capped_and_jittered(attempt: int) -> None:
    delay = backoff_delay(attempt, base_s=0.5, cap_s=8.0, jitter=0.25)
    ideal = min(8.0, 0.5 * 2 ** min(attempt - 1, 60))
    assert 0.75 * ideal <= delay <= ideal


def test_retry_after_wins_when_longer() -> None:
    err = errors.RateLimitError("r", status_code=429, retry_after_s=5.0)
    assert backoff_delay(1, base_s=0.5, error=err) == 5.0


# --------------------------------------------------------------------------- the token cache


def test_token_expiry_from_jwt_then_expires_in_then_eight_hours() -> None:
    import jwt

    signed = jwt.encode({"exp": 1_000_500}, "k" * 32, algorithm="HS256")
    assert token_expiry(signed, issued_at=1_000_000, expires_in_s=60) == 1_000_500
    assert token_expiry("opaque", issued_at=1_000_000, expires_in_s=60) == 1_000_060
    assert token_expiry("opaque", issued_at=1_000_000) == 1_000_000 + 8 * 3600


def test_an_opaque_token_is_renewed_before_its_expires_in() -> None:
    now = [1_000_000.0]
    issued = iter([Issued("first", 100.0), Issued("second", 100.0)])
    manager = TokenManager(lambda: next(issued), renew_before_s=300, clock=lambda: now[0])
    assert manager.get() == "first"
    now[0] += 79  # renewal is due at 80 s (a fifth of 100 s before expiry)
    assert manager.get() == "first"
    now[0] += 2
    assert manager.get() == "second"


def test_waiters_do_not_repeat_a_failed_exchange() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def failing_exchange() -> Issued:
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


def test_a_refused_exchange_is_not_remembered() -> None:
    answers = iter([errors.TokenExchangeError("no", setting="creds"), Issued("tok")])

    def exchange() -> Issued:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    manager = TokenManager(exchange)
    with pytest.raises(errors.TokenExchangeError):
        manager.get()
    assert manager.get() == "tok"  # e.g. a rotated secret works at once


def test_an_early_renewal_that_fails_keeps_the_token_and_stalls_nobody() -> None:
    now = [1_000_000.0]
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def exchange() -> Issued:
        calls.append("x")
        if len(calls) == 1:
            return Issued("valid", 1000.0)
        started.set()
        release.wait(5)  # a slow renewal, which then fails
        raise errors.ServerError("token endpoint down", status_code=503)

    manager = TokenManager(exchange, renew_before_s=300, clock=lambda: now[0])
    assert manager.get() == "valid"
    now[0] += 900  # renewal due (at 800 s), token valid until 1000 s
    renewer = threading.Thread(target=manager.get)
    renewer.start()
    assert started.wait(5)
    begun = time.monotonic()
    others = [manager.get() for _ in range(50)]  # while the renewal hangs
    assert time.monotonic() - begun < 0.5  # nobody waited on the lock
    assert set(others) == {"valid"}
    release.set()
    renewer.join(5)
    assert manager.get() == "valid"  # the failure is remembered; the token still works
    assert len(calls) == 2
    now[0] += FAILURE_MEMORY_S + 200  # expired now: the next caller must exchange again
    with pytest.raises(errors.ServerError):
        manager.get()


def test_a_waiter_without_a_token_gives_up_at_its_deadline() -> None:
    from shared.core.deadline import deadline_scope

    release, exchanging = threading.Event(), threading.Event()

    def slow_exchange() -> Issued:
        exchanging.set()
        release.wait(5)
        return Issued("late")

    manager = TokenManager(slow_exchange)
    first = threading.Thread(target=manager.get)
    first.start()
    assert exchanging.wait(5)  # the first caller holds the exchange
    begun = time.monotonic()
    with deadline_scope(0.2), pytest.raises(errors.RoitTimeoutError) as caught:
        manager.get()
    assert 0.15 <= time.monotonic() - begun < 1.0
    assert caught.value.ambiguous is False  # the call that needed it was never sent
    release.set()
    first.join(5)


class _CountingLock:
    """A lock that counts the callers that came for it, so a test can wait until every
    thread is at the lock (not a guess at how long that takes)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrivals = threading.Condition()
        self.arrived = 0

    def __enter__(self) -> _CountingLock:
        with self._arrivals:
            self.arrived += 1
            self._arrivals.notify_all()
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait_for(self, count: int) -> bool:
        with self._arrivals:
            return self._arrivals.wait_for(lambda: self.arrived >= count, 5)


def test_lazy_builds_once_across_threads_and_retries_after_a_failure() -> None:
    from shared.core.lazy import Lazy

    builds: list[int] = []
    lock = _CountingLock()

    def factory() -> object:
        builds.append(1)
        if len(builds) == 1:
            raise RuntimeError("first build fails")
        assert lock.wait_for(1 + 20)  # every thread is at the lock: without it, each builds
        return object()

    lazy = Lazy(factory)
    lazy._lock = lock  # type: ignore[assignment]
    with pytest.raises(RuntimeError):
        lazy.get()
    values: list[object] = []

    def worker() -> None:
        values.append(lazy.get())

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert len(builds) == 2 and len(values) == 20 and len({id(v) for v in values}) == 1
