"""Property-based fuzzing of the Pub/Sub push functions (``update_status``,
``register_delivery``) as real functions-framework processes, wired to the ROIT sandbox and a
real dead-letter topic on the Pub/Sub emulator.

Every message comes in one of the three forms a push function receives: the push
subscription's raw envelope, a binary-mode CloudEvent (``ce-*`` headers) and a structured-mode
CloudEvent. No fault is injected into the sandbox or Pub/Sub, so no answer may be a 503.

Properties:

* a valid message (generated from the model's own JSON Schema, for a request that exists in
  the sandbox) reaches ROIT and is answered 200 ``ok``: the sandbox saw the call and holds the
  result;
* a message that can never succeed (its data fails the strict JSON reading or the model, by the
  connector's own ``shared.core.inputs`` / model in this process; or it is older than
  ``ROIT_MAX_MESSAGE_AGE_S``; or ROIT refuses it) is answered 200 ``dead_lettered`` — never
  retried — and the dead letter is really on the dead-letter topic, with ``error`` and
  ``originalMessageId``;
* a request that is not a Pub/Sub push envelope is refused with a JSON 4xx (or, when it still
  reads as one, handled as above): never a 5xx;
* nothing the sender chose comes back or is logged (markers in the data's values and keys,
  unknown fields, attribute keys and values, header names and values), and the process stays
  up.

Echoed by design, so never given a marker: ``messageId`` / ``message_id`` / ``ce-id``
(answered, logged, the dead letter's ``originalMessageId``), ``subscription`` and the
``requestId`` / ``correlationId`` attributes (logged as context), ``requestId`` /
``integrationId`` in the data (the answer names the request; ROIT's own verdict, relayed as
the dead letter's ``reason``, may quote them).
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from fuzz_strategies import (
    AGE_LIMIT_S,
    METHODS,
    Seed,
    any_ages,
    ce_headers,
    content_types,
    dumps,
    framed,
    free_json_objects,
    from_schema,
    hostile_envelopes,
    hostile_json_text,
    impossible_attributes,
    integration,
    mutate_object,
    push_request,
    random_headers,
    resolve,
    valid_attributes,
)
from fuzzkit import (
    DELIVERY_BATCH,
    FunctionUnderTest,
    RawRequest,
    budget,
    build_request,
    check_log,
    check_reply,
    note,
    valid_for,
)
from hypothesis import given
from hypothesis import strategies as st

from sandbox.seed.fiscal import cnpj_check_digits, cpf_check_digits
from shared.core.errors import InvalidInputError
from shared.core.inputs import loads_strict, parse_input
from shared.core.pubsub import fit_attribute
from shared.roit.models import DeliveryEntity, DeliveryMessage, StatusUpdate

pytestmark = [pytest.mark.fuzz, pytest.mark.integration]  # also set by conftest.py

SEEDED = 8
MODEL = {"update_status": StatusUpdate, "register_delivery": DeliveryMessage}
DEAD_LETTERS = {
    "update_status": "status-dead-letter",
    "register_delivery": "deliveries-dead-letter",
}
PROTECTED = frozenset({"requestId", "integrationId"})
SHAPES = {
    "update_status": {
        "requestId": "r-1",
        "reference": "ref-1",
        "status": "DONE",
        "message": "ok",
        "entryReference": 12,
        "systemInfo": {"erp": "x"},
    },
    "register_delivery": {"entity": "COST_CENTER", "data": [{"code": "CC1"}], "isDefault": False},
}

# ce-id is the message id when an envelope has none: answered and logged by design, like
# messageId, so random headers never carry a marker in it.
MESSAGE_ID_HEADER = frozenset({"ce-id"})


def push(fn: FunctionUnderTest, request: RawRequest, context: object) -> Any:
    """Send one pushed message; the properties every answer has, and never a 5xx."""
    reply = fn.send(request)
    check_reply(fn, request, reply, context=context)
    status = reply.json().get("status", "") if reply.status == 200 else ""
    note(f"{reply.status} {status}")
    check_log(fn, context)
    fn.assert_up()
    return reply


def _stats(stack: Any) -> dict[str, Any]:
    return stack.sandbox.stats()


def _roit_calls(stats: dict[str, Any], endpoint: str) -> int:
    return sum(stats["calls"].get(endpoint, {}).values())


def can_never_succeed(model: type, data: bytes) -> bool:
    """The connector's own strict reading, in this process: the oracle of "invalid"."""
    try:
        parse_input(model, loads_strict(data))
    except InvalidInputError:
        return True
    return False


class DeadLetters:
    """The dead letters a test expects, checked against the dead-letter topic at the end."""

    def __init__(self, stack: Any, label: str) -> None:
        self.stack, self.key = stack, DEAD_LETTERS[label]
        self.expected: dict[str, str] = {}
        stack.pull_all(self.key)  # start empty

    def add(self, answer: dict[str, Any], message_id: str) -> None:
        assert answer["deadLetterMessageId"], answer
        assert answer["messageId"] == message_id, answer
        self.expected[answer["deadLetterMessageId"]] = message_id

    def check(self) -> None:
        if not self.expected:
            return
        wanted = set(self.expected)
        pulled = self.stack.pull(self.key, until=lambda got: wanted <= {m.message_id for m in got})
        received = {m.message_id: m for m in pulled}
        missing = wanted - set(received)
        assert not missing, f"{len(missing)} dead letters answered but not on the topic"
        for dead_id, message_id in self.expected.items():
            attributes = dict(received[dead_id].attributes)
            # an id over Pub/Sub's attribute limit is cut to fit (the reason and source survive)
            fitted = fit_attribute(message_id)
            assert attributes.get("originalMessageId", fitted) == fitted
            assert attributes.get("error"), attributes


@pytest.fixture
def dead_letters(fuzz_stack, request):
    letters = DeadLetters(fuzz_stack, request.node.callspec.params["label"])
    yield letters
    letters.check()


# ----------------------------------------------------------------------------- valid messages


def _supplier_register() -> st.SearchStrategy[str]:
    cnpj = st.from_regex(r"[0-9]{12}", fullmatch=True).map(lambda b: b + cnpj_check_digits(b))
    cpf = st.from_regex(r"[0-9]{9}", fullmatch=True).map(lambda b: b + cpf_check_digits(b))
    return st.one_of(cnpj, cpf).filter(lambda v: len(set(v)) > 1)


@st.composite
def valid_status_updates(draw: st.DrawFn) -> dict[str, Any]:
    schema = StatusUpdate.model_json_schema(by_alias=True)
    body = draw(
        from_schema(schema, overrides={"integrationId": integration()}, marked=True),
        label="update",
    )
    index = draw(st.integers(0, SEEDED - 1), label="request")
    pads = st.tuples(st.sampled_from(["", " ", "\t"]), st.sampled_from(["", " ", "\n"]))
    body["requestId"] = Seed(index, "requestId", draw(pads))
    body["reference"] = Seed(index, "reference", draw(pads))
    return body


@st.composite
def valid_deliveries(draw: st.DrawFn) -> dict[str, Any]:
    schema = DeliveryMessage.model_json_schema(by_alias=True)
    body = draw(
        from_schema(
            schema,
            overrides={
                "integrationId": integration(),
                "data": st.lists(free_json_objects(marker=True), min_size=1, max_size=8),
            },
            marked=True,
        ),
        label="delivery",
    )
    entity = DeliveryEntity(body["entity"])
    for item in body["data"]:  # ROIT's own rules for these two entities (the sandbox's too)
        if entity is DeliveryEntity.SUPPLIER:
            item["nationalRegister"] = draw(_supplier_register())
        elif entity is DeliveryEntity.PURCHASE_ORDER:
            item["purchaseNumber"] = draw(st.from_regex(r"[A-Z0-9-]{1,20}", fullmatch=True))
    return body


@pytest.mark.parametrize("label", ["update_status"])
@budget(200)
@given(data=st.data())
def test_a_valid_status_update_reaches_roit_and_is_acknowledged(
    fuzz_stack, seeded, dead_letters, label, data
) -> None:
    raw = data.draw(valid_status_updates(), label="body")
    body = resolve(raw, seeded.ready, fuzz_stack.integration_id)
    update = valid_for(StatusUpdate, body)  # the model itself says it is valid
    case = data.draw(
        push_request(dumps_for(body), headers=random_headers(exclude=MESSAGE_ID_HEADER)),
        label="push",
    )
    before = _roit_calls(_stats(fuzz_stack), "status")
    reply = push(fuzz_stack.fn(label), case.request, case)
    assert reply.status == 200, reply
    answer = reply.json()
    assert answer == {
        "status": "ok",
        "messageId": case.message_id,
        "requestId": update.request_id,
        "reported": update.status.value,
    }, answer
    assert _roit_calls(_stats(fuzz_stack), "status") == before + 1
    state = fuzz_stack.sandbox.request(update.request_id)
    assert state["status"] == update.status.value


@pytest.mark.parametrize("label", ["register_delivery"])
@budget(200)
@given(data=st.data())
def test_a_valid_delivery_reaches_roit_and_is_acknowledged(
    fuzz_stack, seeded, dead_letters, label, data
) -> None:
    raw = data.draw(valid_deliveries(), label="body")
    body = resolve(raw, seeded.ready, fuzz_stack.integration_id)
    delivery = valid_for(DeliveryMessage, body)
    case = data.draw(
        push_request(dumps_for(body), headers=random_headers(exclude=MESSAGE_ID_HEADER)),
        label="push",
    )
    before = _stats(fuzz_stack)
    reply = push(fuzz_stack.fn(label), case.request, case)
    assert reply.status == 200, reply
    calls = math.ceil(len(delivery.data) / DELIVERY_BATCH)
    assert reply.json() == {
        "status": "ok",
        "messageId": case.message_id,
        "entity": delivery.entity.value,
        "items": len(delivery.data),
        "calls": calls,
    }
    after = _stats(fuzz_stack)
    assert after["deliveries"] == before["deliveries"] + calls  # the sandbox saw every batch
    assert after["deliveredItems"] == before["deliveredItems"] + len(delivery.data)


def dumps_for(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


# ----------------------------------------------------------------------------- never retried


def hostile_data(label: str) -> st.SearchStrategy[bytes]:
    shape = SHAPES[label]
    return st.one_of(
        hostile_json_text(shape),
        mutate_object(shape, protected=PROTECTED).flatmap(dumps),
        st.binary(max_size=200),
        st.just(dumps_for(shape)),
    )


def check_outcome(stack: Any, label: str, case: Any, data: bytes, reply: Any, letters: Any):
    """ok / dead_lettered exactly as the model, the age and ROIT decide; never a retry."""
    assert reply.status == 200, reply
    answer = reply.json()
    too_old = case.age_s is not None and case.age_s > AGE_LIMIT_S
    if too_old:
        assert answer["status"] == "dead_lettered" and answer["error"] == "too_old", answer
    elif can_never_succeed(MODEL[label], data):
        assert answer["status"] == "dead_lettered", answer
        assert answer["error"] == "invalid_message", answer
    else:  # valid for the model: ROIT's verdict (the shapes' request ids do not exist)
        assert answer["status"] in ("ok", "dead_lettered"), answer
        if answer["status"] == "dead_lettered":
            assert answer["error"].startswith("roit_rejected_4"), answer
    if answer["status"] == "dead_lettered":
        letters.add(answer, case.message_id)


@pytest.mark.parametrize("label", ["update_status", "register_delivery"])
@budget(250)
@given(data=st.data())
def test_a_message_that_can_never_succeed_is_dead_lettered_not_retried(
    fuzz_stack, seeded, dead_letters, label, data
) -> None:
    payload = data.draw(hostile_data(label), label="data")
    case = data.draw(
        push_request(
            payload, ages=any_ages(AGE_LIMIT_S), headers=random_headers(exclude=MESSAGE_ID_HEADER)
        ),
        label="push",
    )
    reply = push(fuzz_stack.fn(label), case.request, case)
    check_outcome(fuzz_stack, label, case, payload, reply, dead_letters)


@pytest.mark.parametrize("label", ["update_status", "register_delivery"])
@budget(60)
@given(data=st.data())
def test_attributes_pubsub_would_refuse_never_make_a_message_retry(
    fuzz_stack, seeded, dead_letters, label, data
) -> None:
    """A permanent failure is dead-lettered with its attributes, whatever they are."""
    payload = data.draw(hostile_data(label), label="data")
    case = data.draw(push_request(payload, attributes=impossible_attributes()), label="push")
    reply = push(fuzz_stack.fn(label), case.request, case)
    check_outcome(fuzz_stack, label, case, payload, reply, dead_letters)


# ----------------------------------------------------------------------------- not an envelope


@st.composite
def not_envelopes(draw: st.DrawFn, label: str) -> RawRequest:
    """Bodies that are not push envelopes, or barely are; odd requests around good ones."""
    good = dumps_for(SHAPES[label])
    how = draw(st.sampled_from(["envelope", "headers", "http"]), label="how")
    if how == "envelope":
        return draw(
            framed(
                draw(hostile_envelopes(good)),
                content_type=draw(st.sampled_from(["application/json", None, "text/plain"])),
                headers=draw(st.one_of(random_headers(exclude=MESSAGE_ID_HEADER), ce_headers())),
                hostile_framing=False,
            )
        )
    case = draw(push_request(good, attributes=valid_attributes()))
    body = case.request.wire.split(b"\r\n\r\n", 1)[1]
    if case.request.framing == "chunked":
        body = dumps_for({"message": {"data": base64.b64encode(good).decode(), "messageId": "1"}})
    if how == "headers":
        return draw(framed(body, headers=draw(ce_headers()), hostile_framing=False))
    return draw(
        framed(
            body,
            method=draw(st.one_of(st.just("POST"), st.sampled_from(METHODS))),
            content_type=draw(content_types()),
            headers=draw(random_headers(exclude=MESSAGE_ID_HEADER)),
        )
    )


@pytest.mark.parametrize("label", ["update_status", "register_delivery"])
@budget(250)
@given(data=st.data())
def test_a_request_that_is_not_a_push_envelope_is_refused_cleanly(
    fuzz_stack, seeded, dead_letters, label, data
) -> None:
    request = data.draw(not_envelopes(label), label="request")
    reply = push(fuzz_stack.fn(label), request, request)
    if reply.status == 200:  # it read as an envelope after all: handled, never retried
        answer = reply.json()
        assert answer["status"] in ("ok", "dead_lettered"), answer
        if answer["status"] == "dead_lettered":
            dead_letters.add(answer, answer["messageId"])


@pytest.mark.parametrize("label", ["update_status", "register_delivery"])
@pytest.mark.parametrize("framing", ["content-length", "chunked", "declared-only"])
def test_an_envelope_over_the_push_size_limit_is_413(fuzz_stack, seeded, label, framing) -> None:
    """Larger than any push Pub/Sub can send (10 MB of data in base64, plus room)."""
    from shared.push.handler import MAX_PUSH_BYTES

    body = _envelope(b"x" * (MAX_PUSH_BYTES * 3 // 4 + 1024))
    assert len(body) > MAX_PUSH_BYTES
    json_type = [("Content-Type", "application/json")]
    if framing == "declared-only":  # a length that is never sent: refused on the header alone
        request = build_request(
            "POST", b"{}", headers=json_type, framing="cl-longer", declared_length=10**12
        )
    else:
        request = build_request("POST", body, headers=json_type, framing=framing, chunks=[1 << 20])
    reply = push(fuzz_stack.fn(label), request, framing)
    assert reply.status == 413, reply


# ----------------------------------------------------------------------------- regressions


def _envelope(data: bytes, **message: Any) -> bytes:
    body = {"message": {"data": base64.b64encode(data).decode(), "messageId": "77", **message}}
    return dumps_for({**body, "subscription": "projects/roit-local/subscriptions/fuzz-push"})


# Every failure the fuzzer found, as an explicit case: (body, extra headers, expected answer).
REGRESSIONS = [
    # An attribute key was repeated in the 400's field and message, and in the log.
    pytest.param(
        _envelope(b"{}", attributes={"FZMK0": None}), [], (400, None), id="attribute-key-echoed"
    ),
    # 'ce-deliveryattempt: ¹' (byte 0xB9, read as Latin-1) passed str.isdigit, then int(): 500.
    pytest.param(
        _envelope(b"{}"), [("ce-deliveryattempt", b"\xb9")], (200, "dead_lettered"), id="ce-digit"
    ),
    # Found by review: 4,301+ ASCII digits passed isdigit(), then int() refused them: 500.
    pytest.param(
        _envelope(b"{}"),
        [("ce-deliveryattempt", b"9" * 5000)],
        (200, "dead_lettered"),
        id="ce-digits-over-int-limit",
    ),
    # A permanent failure whose own attributes Pub/Sub refuses (a 'goog' key: Pub/Sub adds
    # googclient_* attributes to messages of a topic with a schema) could not be dead-lettered,
    # so it was answered 503 for ever.
    pytest.param(
        _envelope(b"{}", attributes={"googclient_schemaname": "s", "FZMK7": "v"}),
        [],
        (200, "dead_lettered"),
        id="goog-attribute",
    ),
    pytest.param(
        _envelope(b"[]", attributes={"": "empty key", "k" * 300: "long key", "v": "x" * 2000}),
        [],
        (200, "dead_lettered"),
        id="attributes-over-limits",
    ),
]


@pytest.mark.parametrize("label", ["update_status", "register_delivery"])
@pytest.mark.parametrize(("body", "headers", "expected"), REGRESSIONS)
def test_regressions(fuzz_stack, seeded, dead_letters, label, body, headers, expected) -> None:
    request = build_request("POST", body, headers=[("Content-Type", "application/json"), *headers])
    reply = push(fuzz_stack.fn(label), request, request)
    status, outcome = expected
    assert reply.status == status, reply
    if outcome is not None:
        answer = reply.json()
        assert answer["status"] == outcome, answer
        dead_letters.add(answer, "77")
