"""Property-based fuzzing of the HTTP functions (``get_attachments``, ``reprocess`` deployed
for IAM callers, ``poll_pending``) as real functions-framework processes, over raw sockets.

Properties, for every input:

* never a 5xx for a bad input (no fault is injected into the sandbox or Pub/Sub here);
* every 4xx the function gives is ``{"error": {"code", "message", "field"?}}`` (requests that
  are not HTTP/1.1 at all may instead get gunicorn's own HTML 400: the function never ran);
* no part of the input comes back — neither in the answer (body or headers) nor in the
  function's log lines — and the function logs no unexpected error;
* a valid input is never refused: it gets a 2xx, and the sandbox saw the call;
* the process stays up (gunicorn's worker is never replaced).

"Part of the input" is every planted marker (``FZMK…``: in values, keys, unknown fields,
header names and values, content-type parameters, paths, chunk extensions and trailers).
Echoed by design, so never given a marker: ``requestId`` / ``integrationId`` strings (they
name ROIT's record: a success answers ROIT's record, the log context carries the request id,
and ROIT's own 404 verdict, relayed as its ``detail``, may quote them), a sane
``X-Correlation-Id`` (returned as a header, logged, and in the poll summary), and the
``TYPE`` of a valid poll target (named in the poll summary).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fuzz_strategies import (
    JSON_TYPES,
    METHODS,
    content_types,
    deep,
    dumps,
    framed,
    from_schema,
    hostile_json_text,
    integration,
    malformed_http,
    mutate_object,
    paths,
    random_headers,
    resolve,
    seed,
)
from fuzzkit import (
    FunctionUnderTest,
    RawRequest,
    budget,
    build_request,
    check_log,
    check_reply,
    has_marker,
    json_bytes,
    note,
    valid_for,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st

from shared.poll.targets import ALL_DOCUMENTS, PollRequest
from shared.roit.models import AttachmentsInput, ReprocessInput

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]  # also set by conftest.py

JSON = ("Content-Type", "application/json")
ENDPOINT = {"get_attachments": "attachs", "reprocess": "reprocess"}
MODEL = {"get_attachments": AttachmentsInput, "reprocess": ReprocessInput}
SEEDED = 8  # documents the `seeded` fixture makes


def _draw(data: Any, strategy: st.SearchStrategy[Any], default: Any, label: str) -> Any:
    """``data.draw``, or ``default`` in an explicit ``@example`` (which passes ``data=None``)."""
    return default if data is None else data.draw(strategy, label=label)


def _calls(stack: Any, endpoint: str) -> int:
    return sum(stack.sandbox.stats()["calls"].get(endpoint, {}).values())


def exchange(fn: FunctionUnderTest, request: RawRequest, **kwargs: Any) -> Any:
    """Send one example and check the properties every answer has."""
    reply = fn.send(request)
    note(f"{request.framing} -> {reply.status}")
    check_reply(fn, request, reply, **kwargs)
    check_log(fn, request)
    fn.assert_up()
    return reply


# ----------------------------------------------------------------------------- valid input


def valid_id_body(model: Any) -> st.SearchStrategy[dict[str, Any]]:
    return from_schema(
        model.model_json_schema(by_alias=True),
        overrides={"requestId": seed(SEEDED), "integrationId": integration()},
    )


@pytest.mark.parametrize("label", ["get_attachments", "reprocess"])
@budget(150)
@given(data=st.data())
def test_a_valid_body_reaches_roit_and_is_answered_2xx(fuzz_stack, seeded, label, data) -> None:
    fn = fuzz_stack.fn(label)
    raw = data.draw(valid_id_body(MODEL[label]), label="body")
    body = resolve(raw, seeded.ready, fuzz_stack.integration_id)
    valid_for(MODEL[label], body)  # the model itself says it is valid
    request = data.draw(
        framed(
            json_bytes(body, ascii_only=data.draw(st.booleans())),
            content_type=data.draw(st.sampled_from(JSON_TYPES)),
            headers=data.draw(random_headers()),
            hostile_framing=False,
        ),
        label="request",
    )
    before = _calls(fuzz_stack, ENDPOINT[label])
    reply = exchange(fn, request, expect=[200])
    assert _calls(fuzz_stack, ENDPOINT[label]) == before + 1  # the sandbox saw the call
    answer = reply.json()
    assert answer["requestId"] == body["requestId"].strip()


@budget(60)
@given(body=from_schema(PollRequest.model_json_schema(by_alias=True)), data=st.data())
# PollRequest's schema described `targets` as [entity, type|null] pairs, which the model refuses
# (it reads ENTITY[:TYPE] strings, as a list or comma-separated, at least one).
@example(body={"targets": "DOCUMENT:NFE,SUPPLIER", "maxPages": 2}, data=None)
@example(body={"targets": ["document:nfse", "PURCHASE_ORDER"]}, data=None)
def test_a_valid_poll_request_polls_roit_and_is_answered_2xx(
    fuzz_stack, seeded, body, data
) -> None:
    """The poll's body from PollRequest's own schema; a few new documents before each run."""
    fn = fuzz_stack.fn("poll_pending")
    assume(not has_marker(json.dumps(body)))  # target types are named in the summary
    parsed = PollRequest.model_validate(body)  # the model itself says it is valid
    targets = parsed.targets or [ALL_DOCUMENTS]
    fuzz_stack.sandbox.seed(documents=_draw(data, st.integers(0, 3), 2, "new documents"))
    wire = json_bytes(body)
    request = _draw(
        data,
        framed(
            wire,
            content_type=_draw(data, st.sampled_from(JSON_TYPES), None, "type"),
            headers=_draw(data, random_headers(), None, "headers"),
            hostile_framing=False,
        ),
        build_request("POST", wire, headers=[JSON]),
        "request",
    )
    before = _calls(fuzz_stack, "pending")
    reply = exchange(fn, request, expect=[200])
    summary = reply.json()
    assert summary["outcome"] == "ok", summary
    assert len(summary["targets"]) == len(targets)
    published = summary["totals"]["published"]
    assert published == summary["totals"]["fetched"]
    assert _calls(fuzz_stack, "pending") >= before + len(targets)  # the sandbox was asked
    if published:  # and every entity it handed out is on the pending topic
        on_topic = fuzz_stack.pull("pending", until=lambda got: len(got) >= published)
        assert len(on_topic) == published


# ----------------------------------------------------------------------------- hostile input

VALID_SHAPES = {
    "get_attachments": {"requestId": "r-1", "integrationId": "i-1"},
    "reprocess": {"requestId": "r-1", "integrationId": "i-1"},
    "poll_pending": {"targets": ["DOCUMENT:NFE", "SUPPLIER"], "maxPages": 1},
}
PROTECTED = frozenset({"requestId", "integrationId"})


@st.composite
def hostile_requests(draw: st.DrawFn, label: str) -> RawRequest:
    """A bad body, a bad request around a good body, or a request that is not HTTP at all."""
    shape = VALID_SHAPES[label]
    body = draw(
        st.one_of(
            hostile_json_text(shape),
            mutate_object(shape, protected=PROTECTED).flatmap(dumps),
            st.just(json_bytes(shape)),
        ),
        label="body",
    )
    how = draw(st.sampled_from(["body", "http", "malformed"]), label="how")
    if how == "malformed":
        return draw(malformed_http(body))
    if how == "body":
        return draw(framed(body, headers=draw(random_headers()), hostile_framing=False))
    return draw(
        framed(
            body,
            method=draw(st.one_of(st.just("POST"), st.sampled_from(METHODS))),
            content_type=draw(content_types()),
            headers=draw(random_headers()),
            path=draw(paths()),
        )
    )


@pytest.mark.parametrize("label", ["get_attachments", "reprocess", "poll_pending"])
@budget(300)
@given(data=st.data())
def test_a_hostile_request_gets_a_clean_4xx_and_nothing_back(
    fuzz_stack, seeded, label, data
) -> None:
    request = data.draw(hostile_requests(label), label="request")
    exchange(fuzz_stack.fn(label), request)


@pytest.mark.parametrize("label", ["get_attachments", "reprocess", "poll_pending"])
@budget(15)
@given(
    size=st.integers(64 * 1024 + 1, 300 * 1024),
    framing=st.sampled_from(["content-length", "chunked"]),
)
def test_an_oversize_body_is_413(fuzz_stack, seeded, label, size, framing) -> None:
    filler = b'{"requestId":"' + b"x" * size + b'"}'
    request = build_request(
        "POST",
        filler,
        headers=[("Content-Type", "application/json")],
        framing=framing,
        chunks=[4096] * 3,
    )
    exchange(fuzz_stack.fn(label), request, expect=[413])


# ----------------------------------------------------------------------------- regressions


def _broken_chunked(method: str, body: bytes) -> RawRequest:
    head = f"{method} / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
    wire = head + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body
    return RawRequest(method, wire, half_close=True, framing="broken-chunked")


# Every failure the fuzzer found, as an explicit case (label -> expected status).
REGRESSIONS = [
    # A refusal before the body was read (405) left a broken chunked body to
    # functions-framework, which reads the rest of every request after the answer: bare 500.
    pytest.param(_broken_chunked("GET", b"zz\r\n"), 405, id="get-broken-chunk-size"),
    pytest.param(_broken_chunked("HEAD", b"zz\r\n\r\n0\r\n\r\n"), 405, id="head-broken-chunk"),
    pytest.param(_broken_chunked("PROPFIND", b"ffffffffffffffffffff\r\n{"), 405, id="huge-chunk"),
    # The same after a 413: the body over the limit, then its chunked encoding breaks.
    pytest.param(
        _broken_chunked("POST", b"%x\r\n" % (70_000) + b"x" * 70_000 + b"\r\nzz\r\n"),
        413,
        id="oversize-then-broken-chunk",
    ),
    pytest.param(build_request("POST", deep(20_000, "list"), headers=[JSON]), 400, id="deep"),
    pytest.param(
        build_request("POST", b'{"requestId":"\\ud800"}', headers=[JSON]), 400, id="surrogate"
    ),
]


@pytest.mark.parametrize("label", ["get_attachments", "reprocess", "poll_pending"])
@pytest.mark.parametrize(("request_", "status"), REGRESSIONS)
def test_regressions(fuzz_stack, seeded, label, request_, status) -> None:
    exchange(fuzz_stack.fn(label), request_, expect=[status])
