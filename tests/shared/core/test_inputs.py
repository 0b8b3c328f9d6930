"""Our users' input: strict JSON, and errors that name fields only in the models' vocabulary."""

from __future__ import annotations

import json

import pytest

from shared.core.errors import InvalidInputError
from shared.core.inputs import MAX_DEPTH, loads_strict, parse_input
from shared.poll.targets import PollRequest
from shared.push.status import read_status
from shared.roit.models import DeliveryMessage, StatusUpdate

pytestmark = pytest.mark.unit


def _nested(depth: int) -> bytes:
    return b'{"a": ' * (depth - 1) + b"{}" + b"}" * (depth - 1)


def test_nesting_up_to_the_limit_is_accepted_and_one_more_is_not() -> None:
    assert loads_strict(_nested(MAX_DEPTH))
    with pytest.raises(InvalidInputError, match="nested deeper"):
        loads_strict(_nested(MAX_DEPTH + 1))
    with pytest.raises(InvalidInputError, match="nested deeper"):
        loads_strict(b"[" * 200_000 + b"]" * 200_000)  # deeper than Python's own recursion


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"a": 1, "a": 2}', "same key twice"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "NaN"),
        (b'{"a": 1e400}', "finite"),
        (b'{"a": "\\ud83d"}', "surrogate"),
        (b'{"\\udc00": 1}', "surrogate"),
        (b'"\xc3\x28"', "UTF-8"),
        (b"\xef\xbb\xbf{}", "JSON"),  # a UTF-8 byte-order mark
        (b'{"a": 1', "JSON"),
        (b"1" * 5000, "JSON"),  # an integer longer than Python reads
    ],
)
def test_what_can_never_reach_roit_is_refused(data: bytes, problem: str) -> None:
    with pytest.raises(InvalidInputError, match=problem):
        loads_strict(data)


def test_valid_surrogate_pairs_and_odd_text_are_kept() -> None:
    value = loads_strict('{"a": "\\ud83d\\ude00 \u202e\u0301 \\u0000"}'.encode())
    assert value == {"a": "\U0001f600 \u202e\u0301 \x00"}
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # it can go to ROIT


def test_unknown_keys_and_values_are_never_named_back() -> None:
    payload = {"requestId": "r", "reference": "x", "status": "DONE", "message": "m", "tok3n": 1}
    with pytest.raises(InvalidInputError) as caught:
        parse_input(StatusUpdate, payload)
    assert caught.value.field == "<field>" and "tok3n" not in caught.value.message
    with pytest.raises(InvalidInputError) as caught:
        parse_input(DeliveryMessage, {"entity": "SECRET_VALUE", "data": [{}]})
    assert caught.value.field == "entity" and "SECRET_VALUE" not in caught.value.message
    with pytest.raises(InvalidInputError) as caught:
        parse_input(DeliveryMessage, {"entity": "ITEM", "data": ["not-an-object"]})
    assert caught.value.field == "data.0"


# --------------------------------------------------------------------------- read item by item


def test_read_object_keeps_the_named_members_as_the_bytes_sent() -> None:
    from shared.core.inputs import read_object

    data = '{"a": 1, "data": [ {"x": "é"} , {"y": [1, 2]} ], "meta": {"k": {"z": null}}}'.encode()
    read = read_object(data, item_lists=("data",), raw_objects=("meta",))
    assert read.fields == {"a": 1}
    assert [bytes(i) for i in read.items["data"]] == ['{"x": "é"}'.encode(), b'{"y": [1, 2]}']
    assert bytes(read.raw["meta"]) == b'{"k": {"z": null}}'


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"data": [{"a": 1}, 2]}', "must be a JSON object"),
        (b'{"data": [{"a": 1, "a": 2}]}', "same key twice"),
        (b'{"data": [{"a": NaN}]}', "NaN"),
        (b'{"data": [{"a": "\\udc00"}]}', "surrogate"),
        (b'{"data": []', "not valid JSON"),
        (b'{"data": [], "data": []}', "same key twice"),
        (b'{"meta": {"k": 1, "k": 2}}', "same key twice"),
        (b'{"meta": {"k": 1e999}}', "finite"),
        (b'{"meta": {"\\ud800": 1}}', "surrogate"),
        (b'{"meta": ' + b'{"a": ' * 70 + b"1" + b"}" * 71, "nested deeper"),
        (b'{"data": [' + b'{"a": ' * 70 + b"1" + b"}" * 70 + b"]}", "nested deeper"),
        (b'["not", "an", "object"]', "must be a JSON object"),
        (b'{"a": 1} trailing', "not valid JSON"),
    ],
)
def test_read_object_is_as_strict_as_loads_strict(data: bytes, problem: str) -> None:
    from shared.core.inputs import read_object

    with pytest.raises(InvalidInputError, match=problem):
        read_object(data, item_lists=("data",), raw_objects=("meta",))


def test_a_status_update_forwards_its_free_form_fields_byte_for_byte() -> None:
    data = (
        '{"requestId": "r", "reference": "f", "status": "DONE", "message": "ok",'
        ' "metadata": {"b": 1, "a": "ção"}, "systemInfo": {"v": [1.50, 2]}}'
    ).encode()
    update = read_status(data)
    body = update.to_roit("int-1")
    assert b'"metadata":{"b": 1, "a": "\xc3\xa7\xc3\xa3o"}' in body  # order, spacing, 1.50 kept
    assert b'"systemInfo":{"v": [1.50, 2]}' in body
    assert json.loads(body) == {
        "requestId": "r", "reference": "f", "status": "DONE", "message": "ok",
        "integrationId": "int-1", "metadata": {"b": 1, "a": "ção"}, "systemInfo": {"v": [1.5, 2]},
    }  # fmt: skip
    with pytest.raises(InvalidInputError) as caught:
        read_status(b'{"requestId": "r", "reference": "f", "status": "DONE", "message": '
                          b'"m", "metadata": [1]}')  # fmt: skip
    assert caught.value.field == "metadata"


def test_a_delivery_is_read_item_by_item_and_sent_as_it_came() -> None:
    from shared.push.delivery import read_delivery

    data = b'{"entity": "COST_CENTER", "data": [{"code": "A", "n": 1.0}, {"code": "B"}]}'
    delivery = read_delivery(data)
    body = delivery.header.body(delivery.items, integration_id="int-1")
    assert body == (
        b'{"entity":"COST_CENTER","isDefault":false,"integrationId":"int-1",'
        b'"data":[{"code": "A", "n": 1.0},{"code": "B"}]}'
    )
    for bad, field in (
        (b'{"entity": "COST_CENTER"}', "data"),
        (b'{"entity": "COST_CENTER", "data": []}', "data"),
        (b'{"entity": "COST_CENTER", "data": {"a": 1}}', "data"),
        (b'{"entity": "NOT_AN_ENTITY", "data": [{}]}', "entity"),
    ):
        with pytest.raises(InvalidInputError) as caught:
            read_delivery(bad)
        assert caught.value.field == field, bad


_STATUS = {"requestId": "r-1", "reference": "ref", "status": "DONE", "message": "ok"}


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (StatusUpdate, {**_STATUS, "entryReference": True}, "entryReference"),  # not 1
        (StatusUpdate, {**_STATUS, "entryReference": 1.5}, "entryReference"),
        (StatusUpdate, {**_STATUS, "entryReference": "x" * 129}, "entryReference"),
        (StatusUpdate, {**_STATUS, "entryDate": 0}, "entryDate"),  # not 1970-01-01
        (StatusUpdate, {**_STATUS, "request_id": "r-2"}, "request_id"),  # a name, not the alias
        (StatusUpdate, {**_STATUS, "system_info": {"b": 2}}, "system_info"),
        (DeliveryMessage, {"entity": "COST_CENTER", "data": [{}], "isDefault": "yes"}, "isDefault"),
        (DeliveryMessage, {"entity": "COST_CENTER", "data": [{}], "isDefault": 1}, "isDefault"),
        (PollRequest, {"maxPages": "7"}, "maxPages"),
        (PollRequest, {"maxPages": True}, "maxPages"),
        (PollRequest, {"max_pages": 7}, "max_pages"),
    ],
)
def test_a_wrong_json_type_or_name_is_refused_never_coerced(model, body, field) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_input(model, body)
    assert caught.value.field == field


def test_the_contract_types_are_taken_as_sent() -> None:
    update = parse_input(StatusUpdate, {**_STATUS, "entryReference": 42, "entryDate": "2026-11-24"})
    assert update.entry_reference == 42 and update.entry_date is not None
    assert parse_input(StatusUpdate, {**_STATUS, "entryReference": " NF-1 "}).entry_reference == (
        "NF-1"
    )
    assert parse_input(PollRequest, {"maxPages": 7}).max_pages == 7


def test_a_free_form_field_under_its_python_name_never_reaches_roit_twice() -> None:
    data = json.dumps({**_STATUS, "systemInfo": {"a": 1}, "system_info": {"b": 2}}).encode()
    with pytest.raises(InvalidInputError) as caught:
        read_status(data)
    assert caught.value.field == "system_info"


def test_an_unknown_poll_field_lists_the_allowed_ones_and_the_near_miss_never_the_key() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_input(PollRequest, {"targts": ["DOCUMENT"]})
    message = caught.value.message
    assert message == "<field>: unknown field; allowed: maxPages, targets; did you mean targets?"
    assert "targts" not in message
    with pytest.raises(InvalidInputError) as caught:
        parse_input(PollRequest, {"zzzqqq": 1})
    assert caught.value.message == "<field>: unknown field; allowed: maxPages, targets"
    assert caught.value.field == "<field>"
