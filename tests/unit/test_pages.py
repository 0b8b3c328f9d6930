"""Reading a pending page: good shapes, odd ones, broken ones (shared/pages.py)."""

from __future__ import annotations

import json

import pytest

from shared.core.errors import MalformedResponseError
from shared.roit.pages import read_page

pytestmark = pytest.mark.unit

A = '{"requestId": "a",  "z": 1, "a": "\\u00e9"}'  # spacing, key order and escapes as sent
B = '{"requestId":"b"}'

GOOD = [
    ("envelope", f'{{"status": "success", "data": [{A}, {B}]}}'),
    ("envelope-timestamp", f'{{"timestamp": 1, "data": [{A},{B}]}}'),
    ("bare-list", f"[{A}, {B}]"),
    ("paging-items", f'{{"status": "success", "data": {{"items": [{A}, {B}], "page": 1}}}}'),
    ("paging-content", f'{{"content": [{A}, {B}], "totalPages": 1}}'),
    ("whitespace-around", f" \n\t[ {A} ,\n {B} ]\r\n "),
]


@pytest.mark.parametrize("body", [g[1] for g in GOOD], ids=[g[0] for g in GOOD])
def test_each_item_keeps_its_own_bytes_as_sent(body) -> None:
    page = read_page(body.encode())
    assert page.problem is None and page.items is not None
    assert [sent for _, sent in page.items] == [A.encode(), B.encode()]
    assert [raw["requestId"] for raw, _ in page.items] == ["a", "b"]


EMPTY = [
    ("empty-list", "[]"),
    ("null-data", '{"status": "success", "data": null}'),
    ("empty-object-data", '{"status": "success", "data": {}}'),
    ("empty-items", '{"data": {"items": []}, "status": "success"}'),
]


@pytest.mark.parametrize("body", [e[1] for e in EMPTY], ids=[e[0] for e in EMPTY])
def test_an_empty_page_has_no_items(body) -> None:
    page = read_page(body.encode())
    assert (page.items, page.problem) == ([], None)


ODD = [
    (
        "item-not-an-object",
        '[1, "two", null, {"requestId": "a"}]',
        [b"1", b'"two"', b"null", b'{"requestId": "a"}'],
    ),
    (
        "nan-item",
        '[{"requestId": "a", "x": NaN}, {"requestId": "b"}]',
        [None, b'{"requestId": "b"}'],
    ),
    ("infinity-item", '[{"requestId": "a", "x": -Infinity}]', [None]),
    (
        "non-ascii-item",
        '[{"requestId": "é", "n": "ü€"}]',
        ['{"requestId": "é", "n": "ü€"}'.encode()],
    ),
    (
        "deep-item",
        '[{"requestId": "a", "x": [[[[[[{"y": 1}]]]]]]}]',
        [b'{"requestId": "a", "x": [[[[[[{"y": 1}]]]]]]}'],
    ),
]


@pytest.mark.parametrize(("body", "sent"), [o[1:] for o in ODD], ids=[o[0] for o in ODD])
def test_odd_items_are_read_one_by_one(body, sent) -> None:
    page = read_page(body.encode())
    assert page.items is not None
    assert [s for _, s in page.items] == sent


UNREADABLE_PAGE = [
    ("data-a-string", '{"status": "success", "data": "nothing"}'),
    ("data-unknown-object", '{"status": "success", "data": {"docs": [{"requestId": "a"}]}}'),
    ("a-number", "42"),
    ("a-string", '"pending"'),
]


@pytest.mark.parametrize(
    "body", [u[1] for u in UNREADABLE_PAGE], ids=[u[0] for u in UNREADABLE_PAGE]
)
def test_an_answer_without_a_list_is_kept_whole_with_its_problem(body) -> None:
    page = read_page(body.encode())
    assert page.items is None and page.problem
    assert page.answer == json.loads(body)


BROKEN = [
    ("empty", b""),
    ("html", b"<html>502 Bad Gateway</html>"),
    ("truncated", b'{"status": "success", "data": [{"requestId": "a"}'),
    ("extra-data", b'[{"requestId": "a"}] []'),
    ("not-utf8", b'[{"requestId": "\xff"}]'),
    ("trailing-comma", b'[{"requestId": "a"},]'),
    ("too-deep", b"[" * 100_000 + b"]" * 100_000),
]


@pytest.mark.parametrize("body", [b[1] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_answer_is_a_malformed_response(body) -> None:
    with pytest.raises(MalformedResponseError, match="non-JSON") as caught:
        read_page(body, "pending")
    assert caught.value.ambiguous  # ROIT did answer: the page may have been handed out
