"""Every ROIT call ends by its deadline and reads at most the size cap, whatever ROIT does:
a dripping or stalled body, an oversized or highly compressed answer, a redirect. Against the
real sandbox process, over loopback."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest
from roit_pending import pending

from shared.core.deadline import deadline_scope
from shared.core.errors import (
    Failure,
    InvocationDeadlineError,
    RedirectError,
    ResponseTooLargeError,
    RoitTimeoutError,
)
from shared.roit.models import PendingEntity

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


@pytest.fixture
def one_document(sandbox):
    (request_id,) = sandbox.control.reset(documents=1)
    return request_id


@pytest.fixture
def gzip_answers(sandbox):
    sandbox.control.configure(gzip=True)
    try:
        yield
    finally:
        sandbox.control.configure(gzip=False)


def _timed(call):
    started = time.monotonic()
    try:
        call()
    except Exception as exc:
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


def _peak_memory(call):
    """The error ``call`` raised (or None) and the most Python memory it held at once."""
    tracemalloc.start()
    try:
        error, _ = _timed(call)
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_dripping_body_is_cut_off_at_the_call_budget(sandbox, make_client, one_document) -> None:
    client = make_client(retry_budget_s=1.5)
    client.tokens.get()  # the budget is spent on the call, not the exchange
    sandbox.control.set_fault("attachs", slow_body_next=1, drip_bytes=1, drip_interval_ms=100)
    error, elapsed = _timed(lambda: client.attachments(one_document))
    assert isinstance(error, RoitTimeoutError), error
    assert error.ambiguous  # the request reached ROIT
    assert elapsed < 1.5 + 0.5  # each byte came well within the read timeout (15 s)
    assert sandbox.control.stats()["calls"]["attachs"].get("slow_body") == 1


def test_a_body_that_stalls_halfway_is_cut_off_at_the_call_budget(
    sandbox, make_client, one_document
) -> None:
    client = make_client(retry_budget_s=1.0, http_timeout_s=30)
    client.tokens.get()
    sandbox.control.set_fault("attachs", stall_next=1, stall_ms=20_000)
    error, elapsed = _timed(lambda: client.attachments(one_document))
    assert isinstance(error, RoitTimeoutError), error
    assert elapsed < 1.0 + 0.5  # not the 30 s read timeout, not the 20 s stall


def test_the_invocation_deadline_bounds_a_call_with_a_longer_budget(
    sandbox, make_client, one_document
) -> None:
    client = make_client(retry_budget_s=20)
    client.tokens.get()
    sandbox.control.set_fault("attachs", stall_next=1, stall_ms=20_000)
    with deadline_scope(0.8):
        error, elapsed = _timed(lambda: client.attachments(one_document))
    assert isinstance(error, InvocationDeadlineError), error  # not the call's own budget
    assert error.failure is Failure.DEADLINE and error.ambiguous  # the request reached ROIT
    assert elapsed < 0.8 + 0.5


def test_the_token_exchange_runs_inside_the_budget_of_the_call_that_needed_it(
    sandbox, make_client, one_document
) -> None:
    client = make_client(retry_budget_s=1.0)
    sandbox.control.set_fault("token", slow_body_next=1, drip_bytes=1, drip_interval_ms=100)
    error, elapsed = _timed(lambda: client.attachments(one_document))
    assert error is not None and error.failure is Failure.UPSTREAM
    assert error.ambiguous is False  # the call that needed the token was never sent
    assert elapsed < 1.0 + 0.5
    assert "attachs" not in sandbox.control.stats()["calls"]


def test_an_oversized_answer_is_refused_with_bounded_memory(
    sandbox, make_client, one_document
) -> None:
    client = make_client(max_response_bytes=1 * MIB, retry_max_attempts=1)
    client.tokens.get()
    sandbox.control.set_fault("attachs", oversize_next=1, oversize_mib=8)
    error, peak = _peak_memory(lambda: client.attachments(one_document))
    assert isinstance(error, ResponseTooLargeError), error
    assert error.failure is Failure.UPSTREAM and error.ambiguous
    assert peak < 3 * MIB  # never the 8 MiB answer


def test_a_compression_bomb_is_refused_with_bounded_memory(
    sandbox, make_client, one_document
) -> None:
    client = make_client(max_response_bytes=1 * MIB, retry_max_attempts=1)
    client.tokens.get()
    sandbox.control.set_fault("attachs", gzip_bomb_next=1, bomb_mib=256)
    error, peak = _peak_memory(lambda: client.attachments(one_document))
    assert isinstance(error, ResponseTooLargeError), error
    assert peak < 3 * MIB  # 256 MiB once inflated


def test_an_oversized_pending_page_is_a_page_that_may_be_lost(sandbox, make_client) -> None:
    sandbox.control.reset(documents=5)
    client = make_client(max_response_bytes=1 * MIB)
    sandbox.control.set_fault("pending", oversize_next=1, oversize_mib=2)
    with pytest.raises(ResponseTooLargeError) as caught:
        pending(client, PendingEntity.DOCUMENT)
    assert caught.value.ambiguous  # the sandbox committed the page first
    assert sandbox.control.stats()["calls"]["pending"] == {"oversize": 1}  # never asked again


def test_honest_gzip_answers_are_read(sandbox, make_client, gzip_answers) -> None:
    ids = set(sandbox.control.reset(documents=3))
    client = make_client()
    assert {item.record.request_id for item in pending(client, PendingEntity.DOCUMENT)} == ids
    assert sandbox.control.stats()["gzipAnswers"] >= 1


def test_a_redirect_is_a_configuration_error_and_never_followed(
    sandbox, make_client, one_document, sleeps
) -> None:
    client = make_client(sleep=sleeps)
    client.tokens.get()
    sandbox.control.set_fault("attachs", redirect_next=1, redirect_status=307)
    with pytest.raises(RedirectError) as caught:
        client.attachments(one_document)
    assert caught.value.failure is Failure.CONFIGURATION
    assert caught.value.setting == "ROIT_BASE_URL"
    assert sleeps.delays == []  # not retried within the call
    assert "redirected" not in sandbox.control.stats()["calls"]  # never followed


def test_an_answer_without_a_length_is_cut_at_the_cap_while_it_streams() -> None:
    """A chunked answer announces no size: the cap must hold while reading (MockTransport: the
    sandbox always sends Content-Length)."""
    from shared.core.settings import RoitSettings
    from shared.roit.client import RoitClient

    sent: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(64):  # 8 MiB in 128 KiB pieces
            sent.append(1)
            yield b" " * (128 * 1024)

    def roit(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": "opaque-token-value"}})
        return httpx.Response(200, stream=_Stream(endless()))

    settings = RoitSettings.model_validate(
        {"base_url": "http://roit.test", "integration_id": "i", "client_id": "a",
         "client_secret": "b", "max_response_bytes": MIB, "retry_max_attempts": 1}
    )  # fmt: skip
    client = RoitClient(settings, transport=httpx.MockTransport(roit))
    with pytest.raises(ResponseTooLargeError):
        client.attachments("r-1")
    assert len(sent) <= 10  # stopped reading soon after 1 MiB, not at 8 MiB


class _Stream(httpx.SyncByteStream):
    """A body that streams with no Content-Length, like a chunked answer."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks
