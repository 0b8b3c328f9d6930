"""Our users' input: strict JSON, and errors that name fields only in the models' vocabulary."""

from __future__ import annotations

import json

import pytest

from shared.errors import InvalidInputError
from shared.inputs import MAX_DEPTH, loads_strict, parse_input
from shared.models import DeliveryMessage, StatusUpdate


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
