"""Property-based fuzzing of the public webhook deployment of ``reprocess``
(``ROIT_REPROCESS_CALLER_AUTH=webhook``, two ``ROIT_WEBHOOK_SECRETS`` as during a rotation), a
real functions-framework process in front of the ROIT sandbox.

Properties:

* arbitrary ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature`` headers — random
  bytes, well-formed but wrong signatures, near misses signed with the real secret over another
  id, timestamp or body, stale or future timestamps, many candidates — are answered 401 with
  the JSON error shape, whatever the body, and nothing reaches ROIT (the sandbox's reprocess
  count does not move); only a body that cannot be read at all (over 64 KiB, broken framing)
  is refused before the signature, with its own JSON 4xx;
* a correctly signed request (either secret, any timestamp inside the 5-minute tolerance, the
  valid signature among junk candidates) with a valid body reaches ROIT and is answered 200;
  the same request again is a replay: 401, and ROIT is not called a second time;
* a correctly signed request with an invalid body is a JSON 400, never reaching ROIT;
* nothing of the request is echoed or logged (markers in the signature headers, the body and
  other headers); the process stays up.

Echoed by design, never given a marker: ``requestId`` / ``integrationId`` (see
``test_fuzz_http_functions``).
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import pytest
from fuzz_strategies import (
    JSON_TYPES,
    content_types,
    framed,
    from_schema,
    header_values,
    hostile_json_text,
    integration,
    markers,
    mutate_object,
    random_headers,
    resolve,
    seed,
)
from fuzzkit import (
    SECOND_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    FunctionUnderTest,
    RawRequest,
    budget,
    check_log,
    check_reply,
    json_bytes,
    note,
    sign,
    valid_for,
)
from hypothesis import given
from hypothesis import strategies as st

from shared.core.errors import InvalidInputError
from shared.core.inputs import loads_strict, parse_input
from shared.roit.models import ReprocessInput

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]  # also set by conftest.py

LABEL = "reprocess-webhook"
SEEDED = 8
SHAPE = {"requestId": "r-1"}
PROTECTED = frozenset({"requestId", "integrationId"})
TOLERANCE_S = 300
SIGNATURE_HEADERS = frozenset({"webhook-id", "webhook-timestamp", "webhook-signature"})


def _reprocess_calls(stack: Any) -> int:
    return sum(stack.sandbox.stats()["calls"].get("reprocess", {}).values())


def send(fn: FunctionUnderTest, request: RawRequest, context: object, **kwargs: Any) -> Any:
    reply = fn.send(request)
    note(f"{request.framing} -> {reply.status}")
    check_reply(fn, request, reply, context=context, **kwargs)
    check_log(fn, context)
    fn.assert_up()
    return reply


def _unique_id(prefix: bytes) -> bytes:
    """A webhook id never sent before (a stored example replays without being a replay)."""
    return prefix + b"-" + uuid.uuid4().hex.encode()


# ----------------------------------------------------------------------------- not signed


def b64_signatures() -> st.SearchStrategy[bytes]:
    one = st.one_of(
        st.binary(min_size=0, max_size=40).map(lambda b: b"v1," + base64.b64encode(b)),
        st.sampled_from([b"v1,", b"v1", b"v2,AAAA", b"v1a,AAAA", b"v1,@@@", b"v1,AAA", b",AAAA"]),
        markers().map(lambda m: b"v1," + m.encode()),
        header_values(),
    )
    return st.lists(one, min_size=1, max_size=40).map(lambda parts: b" ".join(parts)[:8000])


@st.composite
def signature_headers(draw: st.DrawFn, body: bytes) -> list[tuple[str, bytes]]:
    """Headers that never prove ``body`` was signed with a secret of this deployment."""
    now = int(time.time())  # only ever added to drawn offsets: the draws do not depend on it
    webhook_id = draw(st.one_of(header_values(), st.just(b"msg_1")), label="id")
    stamp = draw(
        st.one_of(
            header_values(),
            st.integers(-(10**6), 10**6).map(lambda t: str(now + t).encode()),
            st.integers(-100, 100).map(lambda t: str(now + t).encode()),
            st.sampled_from([b"0", b"-1", b"1e9", b"\xb9\xb2\xb3", b"9" * 13, b"0" * 12]),
        ),
        label="timestamp",
    )
    how = draw(st.sampled_from(["random", "near-miss", "wrong-secret", "stale"]), label="how")
    if how == "random":
        signature = draw(b64_signatures(), label="signature")
    else:  # a real signature of something else
        real_id = _unique_id(b"msg")
        text_id, when, signed, secret = real_id.decode("latin-1"), now, body, WEBHOOK_SECRET
        if how == "near-miss":  # the real secret, over another id, timestamp or body
            what = draw(st.sampled_from(["id", "timestamp", "body"]), label="what")
            if what == "id":
                text_id += "x"
            elif what == "timestamp":
                when += draw(st.sampled_from([-1, 1, 60]))
            else:
                signed = body + b" "
        elif how == "wrong-secret":
            secret = "whsec_" + base64.b64encode(draw(st.binary(min_size=24, max_size=32))).decode()
        else:  # stale or future, signed over exactly what is sent
            skew = draw(st.integers(TOLERANCE_S + 60, 10**6), label="skew")
            when = now + draw(st.sampled_from([-1, 1])) * skew
        signature = sign(secret, text_id, when, signed).encode()
        webhook_id = real_id
        sent_time = now if how == "near-miss" and what == "timestamp" else when
        stamp = str(sent_time).encode()
    headers = [
        ("webhook-id", webhook_id),
        ("webhook-timestamp", stamp),
        ("webhook-signature", signature),
    ]
    dropped = draw(st.one_of(st.none(), st.sampled_from([0, 1, 2])), label="missing header")
    if dropped is not None:
        del headers[dropped]
    return headers


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@budget(250)
@given(data=st.data())
def test_a_request_without_a_valid_signature_is_401_and_never_reaches_roit(
    fuzz_stack, seeded, data
) -> None:
    fn = fuzz_stack.fn(LABEL)
    body = data.draw(
        st.one_of(
            st.just(json_bytes({"requestId": seeded.ready[0]["requestId"]})),
            hostile_json_text(SHAPE),
            mutate_object(SHAPE, protected=PROTECTED).map(json_bytes),
        ),
        label="body",
    )
    headers = data.draw(signature_headers(body), label="signature headers")
    headers += data.draw(random_headers(), label="headers")
    request = data.draw(
        framed(body, content_type=data.draw(content_types()), headers=headers), label="request"
    )
    before = _reprocess_calls(fuzz_stack)
    reply = send(fn, request, request)
    if reply.status == 400:  # the body could not be read at all: refused before the signature
        assert request.framing == "broken-chunked", reply
    elif reply.status == 413:
        assert len(request.wire) > 64 * 1024 or request.framing == "cl-longer", reply
    else:
        assert reply.status == 401, reply
        if request.method != "HEAD":
            assert reply.json()["error"]["code"] == "unauthenticated", reply
    assert _reprocess_calls(fuzz_stack) == before  # nothing reached ROIT


# ----------------------------------------------------------------------------- signed


@st.composite
def signed_requests(draw: st.DrawFn, body: bytes, *, secret: str) -> tuple[RawRequest, bytes]:
    """``body`` correctly signed, the valid signature among junk candidates, a unique id."""
    prefix = draw(st.one_of(st.just(b"msg"), header_values(marker=True)), label="id prefix")
    # at most 256 characters: a longer webhook-id is refused by design
    webhook_id = _unique_id(prefix.replace(b" ", b"_").strip()[:200] or b"msg")
    when = int(time.time()) + draw(st.integers(-TOLERANCE_S + 60, TOLERANCE_S - 60), label="skew")
    valid = sign(secret, webhook_id.decode("latin-1"), when, body).encode()
    junk = draw(st.lists(b64_signatures(), max_size=3), label="junk")
    parts = [*junk, valid]
    order = draw(st.permutations(range(len(parts))), label="order")
    signature = b" ".join(parts[i] for i in order)
    if signature.count(b" ") >= 15:  # only the first 16 candidates are read: keep ours in
        signature = b" ".join([valid, *(parts[i] for i in order if parts[i] != valid)])
    headers = [
        ("webhook-id", webhook_id),
        ("webhook-timestamp", str(when).encode()),
        ("webhook-signature", signature),
        *draw(random_headers(exclude=SIGNATURE_HEADERS), label="headers"),
    ]
    request = draw(
        framed(
            body,
            content_type=draw(st.sampled_from(JSON_TYPES)),
            headers=headers,
            hostile_framing=False,
        ),
        label="request",
    )
    return request, webhook_id


@budget(150)
@given(data=st.data())
def test_a_correctly_signed_valid_request_reaches_roit_once(fuzz_stack, seeded, data) -> None:
    fn = fuzz_stack.fn(LABEL)
    raw = data.draw(
        from_schema(
            ReprocessInput.model_json_schema(by_alias=True),
            overrides={"requestId": seed(SEEDED), "integrationId": integration()},
        ),
        label="body",
    )
    body_json = resolve(raw, seeded.ready, fuzz_stack.integration_id)
    valid_for(ReprocessInput, body_json)
    body = json_bytes(body_json, ascii_only=data.draw(st.booleans()))
    secret = data.draw(st.sampled_from([WEBHOOK_SECRET, SECOND_WEBHOOK_SECRET]), label="secret")
    request, _ = data.draw(signed_requests(body, secret=secret), label="signed")
    before = _reprocess_calls(fuzz_stack)
    reply = send(fn, request, request, expect=[200])
    assert reply.json()["requestId"] == body_json["requestId"].strip()
    assert _reprocess_calls(fuzz_stack) == before + 1  # the sandbox saw the call
    if data.draw(st.booleans(), label="replay"):
        again = send(fn, request, request, expect=[401])
        assert "replay" in again.json()["error"]["message"]
        assert _reprocess_calls(fuzz_stack) == before + 1


@budget(150)
@given(data=st.data())
def test_a_correctly_signed_bad_body_is_refused_and_never_reaches_roit(
    fuzz_stack, seeded, data
) -> None:
    fn = fuzz_stack.fn(LABEL)
    body = data.draw(
        st.one_of(
            hostile_json_text(SHAPE), mutate_object(SHAPE, protected=PROTECTED).map(json_bytes)
        ),
        label="body",
    )
    request, _ = data.draw(signed_requests(body, secret=WEBHOOK_SECRET), label="signed")
    before = _reprocess_calls(fuzz_stack)
    reply = send(fn, request, request)
    if not _utf8(body):  # its text is not what was signed: unsigned
        assert reply.status == 401, reply
    elif len(body) > 64 * 1024:
        assert reply.status == 413, reply
    elif can_never_succeed(body):
        assert reply.status == 400, reply
    else:  # valid for the model, for a request ROIT does not know: ROIT's verdict
        assert reply.status == 404, reply
        assert _reprocess_calls(fuzz_stack) == before + 1
        return
    assert _reprocess_calls(fuzz_stack) == before


def can_never_succeed(body: bytes) -> bool:
    """The connector's own strict reading, in this process (the oracle)."""
    try:
        if not body.strip():
            return True
        payload = loads_strict(body)
        if not isinstance(payload, dict):
            return True
        parse_input(ReprocessInput, payload)
    except InvalidInputError:
        return True
    return False
