"""A 2xx that does not say ROIT recorded anything is ROIT misbehaving, never a success
(issue 22 §1): every call judges what it got, within a bounded read. A scripted ROIT
(httpx's MockTransport) sends what an honest one never does."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from shared.core.errors import Failure, MalformedResponseError
from shared.core.settings import RoitSettings
from shared.roit.answers import HEAD_BYTES, check_record_head
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity, StatusUpdate

pytestmark = pytest.mark.unit

TOKEN = "opaque-token-value-0123456789"
UPDATE = {"requestId": "r-1", "reference": "ref-1", "status": "DONE", "message": "posted"}
ATTEMPTS = 3


def _client(answer: Callable[[], httpx.Response], **settings: Any) -> tuple[RoitClient, list[str]]:
    sent: list[str] = []

    def roit(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"data": {"token": TOKEN}})
        sent.append(request.url.path)
        return answer()

    config = {"base_url": "http://roit.test", "integration_id": "i", "client_id": "c",
              "client_secret": "client-secret-value", "retry_max_attempts": ATTEMPTS,
              "retry_backoff_base_s": 0.001, "retry_backoff_max_s": 0.001, **settings}  # fmt: skip
    client = RoitClient(
        RoitSettings.model_validate(config),
        transport=httpx.MockTransport(roit),
        sleep=lambda _: None,
    )
    return client, sent


def _envelope(data: Any, status: str = "success") -> bytes:
    return json.dumps({"timestamp": 1, "status": status, "message": "ok", "data": data}).encode()


NOT_RECORDED = [
    pytest.param(lambda: httpx.Response(200, text="<html><body>OK</body></html>"), id="html"),
    pytest.param(lambda: httpx.Response(200, content=b""), id="empty"),
    pytest.param(lambda: httpx.Response(204), id="no-content"),
    pytest.param(lambda: httpx.Response(200, content=b"OK"), id="text"),
    pytest.param(lambda: httpx.Response(200, json={}), id="empty-object"),
    pytest.param(lambda: httpx.Response(200, json=[]), id="a-list"),
    pytest.param(lambda: httpx.Response(200, json={"data": {}}), id="data-alone"),
    pytest.param(lambda: httpx.Response(200, json={"status": "ok"}), id="no-data"),
    pytest.param(lambda: httpx.Response(201, content=_envelope(None, "error")), id="error-status"),
    pytest.param(lambda: httpx.Response(200, content=_envelope({}, "FAILED")), id="failed-status"),
    pytest.param(
        lambda: httpx.Response(
            200,
            content=iter([gzip.compress(b"<html>" + b" " * 200_000)]),  # streamed: read raw
            headers={"content-encoding": "gzip"},
        ),
        id="gzip-html",
    ),
    pytest.param(
        lambda: httpx.Response(200, content=b"<html>" + b"x" * (2 * HEAD_BYTES)), id="long-html"
    ),
    pytest.param(
        lambda: httpx.Response(200, content=b'{"timestamp":1,"status":"success"'), id="cut"
    ),
    pytest.param(lambda: httpx.Response(200, content=b"\xff\xfe{}"), id="not-utf8"),
]


@pytest.mark.parametrize("answer", NOT_RECORDED)
def test_a_status_update_answered_without_roits_envelope_is_retried_never_acknowledged(
    answer: Callable[[], httpx.Response],
) -> None:
    client, sent = _client(answer)
    with pytest.raises(MalformedResponseError) as caught:
        client.update_status(StatusUpdate.model_validate(UPDATE))
    assert caught.value.failure is Failure.UPSTREAM and caught.value.transient
    assert len(sent) == ATTEMPTS  # ROIT misbehaving: asked again, as any failing ROIT


@pytest.mark.parametrize(
    "body",
    [
        _envelope({"requestId": "r-1", "status": "PROCESSING"}),
        b'\xef\xbb\xbf {"data": {"metadata": {}}, "timestamp": 0, "status": "string"}',
        b'{"status": "success", "data": null}',
        _envelope({"metadata": {"x": "y" * (3 * HEAD_BYTES)}}),
    ],
    ids=["sandbox", "bom-data-first", "null-data", "data-past-the-head"],
)
def test_roits_success_envelope_is_a_success(body: bytes) -> None:
    client, sent = _client(lambda: httpx.Response(200, content=body))
    client.update_status(StatusUpdate.model_validate(UPDATE))
    assert len(sent) == 1


def test_a_gzipped_envelope_is_read_through_its_encoding() -> None:
    body = gzip.compress(_envelope({"metadata": {"k": "v" * 300_000}}))
    client, sent = _client(
        lambda: httpx.Response(200, content=iter([body]), headers={"content-encoding": "gzip"})
    )
    client.update_status(StatusUpdate.model_validate(UPDATE))
    assert len(sent) == 1


def test_a_large_status_answer_is_judged_by_its_head_and_never_held() -> None:
    """ROIT repeats a 10 MB ``metadata``: the answer streams past, only its head is kept."""
    size = 10 * 1024 * 1024
    head = b'{"timestamp":1,"status":"success","message":"ok","data":{"metadata":{"k":"'

    def stream() -> Iterator[bytes]:
        yield head
        piece = b"x" * 65_536
        for _ in range(size // len(piece)):
            yield piece
        yield b'"}}}'

    client, sent = _client(lambda: httpx.Response(200, content=stream()))
    update = StatusUpdate.model_validate(UPDATE)
    client.tokens.get()
    tracemalloc.start()
    try:
        client.update_status(update)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(sent) == 1
    assert peak < 1024 * 1024  # the 10 MiB answer is never held (the head is 64 KiB)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.attachments("r-1"),
        lambda c: c.reprocess("r-1"),
        lambda c: c.pending_page(c.pending_request(PendingEntity.DOCUMENT)),
    ],
    ids=["attachments", "reprocess", "pending"],
)
def test_every_call_refuses_an_error_envelope_answered_2xx(
    call: Callable[[RoitClient], Any],
) -> None:
    client, _ = _client(lambda: httpx.Response(200, content=_envelope([], "error")))
    with pytest.raises(MalformedResponseError, match="error envelope"):
        call(client)


def test_a_reprocess_answered_with_a_bare_object_is_not_a_record() -> None:
    client, _ = _client(lambda: httpx.Response(200, json={"requestId": "r-1"}))
    with pytest.raises(MalformedResponseError):
        client.reprocess("r-1")


def test_a_head_cut_inside_a_key_is_judged_by_the_members_it_holds() -> None:
    body = b'{"timestamp":1,"status":"success","data":{"metadata":{"abc'
    check_record_head(body, "status", complete=False)  # data and status seen: a success
    with pytest.raises(MalformedResponseError):
        check_record_head(b'{"timestamp":1,"stat', "status", complete=False)


def test_a_status_echo_longer_than_the_answer_cap_is_judged_by_its_head_not_refused() -> None:
    """ROIT repeats a large metadata: its answer may be longer than the instance's cap on
    answers it holds (``shared.core.budget``), which this one never holds."""
    size = 2 * 1024 * 1024
    body = _envelope({"metadata": {"k": "v" * size}})
    client, sent = _client(
        lambda: httpx.Response(200, content=body, headers={"content-length": str(len(body))}),
        max_response_bytes=1024 * 1024,
    )
    client.update_status(StatusUpdate.model_validate(UPDATE))
    assert len(sent) == 1
