"""Triage of a pending page: every kind of entity ends in exactly one place (shared/triage.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.core.pubsub import MAX_MESSAGE_BYTES, message_problem
from shared.poll.triage import dead_letter_data, triage

pytestmark = pytest.mark.unit


def _sent(raw: Any) -> bytes:
    return json.dumps(raw, separators=(",", ":")).encode()


def _item(request_id: Any = "r1", **extra: Any) -> dict[str, Any]:
    return {"entity": "DOCUMENT", "type": "NFE", "requestId": request_id, **extra}


PUBLISHED = "publish"
BIG = "x" * MAX_MESSAGE_BYTES

# (id, raw item, its bytes as sent (None: NaN / Infinity), where it goes, dead-letter code)
KINDS: list[tuple[str, Any, Any, str, str | None]] = [
    ("plain", _item(), ..., PUBLISHED, None),
    ("integer-request-id", _item(7), ..., PUBLISHED, None),
    ("own-integration", _item(integrationId="other"), ..., PUBLISHED, None),
    ("unknown-fields-kept", _item(extra={"deep": [1, 2]}), ..., PUBLISHED, None),
    ("odd-text", _item(note="\u2028 é \x00"), ..., PUBLISHED, None),
    ("long-reference-cut", _item(reference="r" * 5000), ..., PUBLISHED, None),
    ("not-an-object", ["a", "list"], ..., "dead", "unreadable_entity"),
    ("a-string", "DOCUMENT", ..., "dead", "unreadable_entity"),
    ("null", None, ..., "dead", "unreadable_entity"),
    ("no-request-id", {"entity": "DOCUMENT"}, ..., "dead", "unreadable_entity"),
    ("empty-request-id", _item(""), ..., "dead", "unreadable_entity"),
    ("request-id-an-object", _item({"a": 1}), ..., "dead", "unreadable_entity"),
    ("nan-as-sent", _item(amount=float("nan")), None, "dead", "unreadable_entity"),
    ("too-large", _item(blob=BIG), ..., "dead", "unpublishable_entity"),
]


@pytest.mark.parametrize(
    ("raw", "sent", "where", "code"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS]
)
def test_each_kind_of_entity_ends_in_one_place(raw, sent, where, code) -> None:
    sent = _sent(raw) if sent is ... else sent
    result = triage([(raw, sent)], integration_id="int-1", correlation_id="c-1")
    placed = len(result.publish) + len(result.dead) + len(result.duplicates)
    assert placed == 1
    if where == PUBLISHED:
        (out,) = result.publish
        assert out.data == sent  # byte for byte as ROIT sent it
        assert out.request_id == str(raw["requestId"])
        assert message_problem(out.data, out.attributes) is None
        assert out.attributes["integrationId"] == raw.get("integrationId", "int-1")
        assert out.attributes["correlationId"] == "c-1"
    else:
        (letter,) = result.dead
        assert letter.attributes["error"] == code
        assert message_problem(letter.data, letter.attributes) is None  # it can be written


def test_a_readable_dead_letter_can_be_handed_back_an_unreadable_one_cannot() -> None:
    page = [
        (_item("big", blob=BIG), _sent(_item("big", blob=BIG))),
        (_item("nan", amount=float("nan")), None),
        ({"entity": "DOCUMENT"}, b'{"entity":"DOCUMENT"}'),
    ]
    result = triage(page, integration_id="i", correlation_id="c")
    assert [(d.request_id, d.readable) for d in result.dead] == [
        ("big", True),
        ("nan", True),
        (None, False),
    ]


def test_a_dead_letter_too_large_for_pubsub_is_a_stub_naming_it() -> None:
    assert json.loads(dead_letter_data(_item("big", blob=BIG))) == {
        "requestId": "big",
        "truncated": True,
    }
    assert json.loads(dead_letter_data({"amount": float("nan")})) == {
        "requestId": None,
        "truncated": True,
    }


@pytest.mark.parametrize(
    ("ids", "seen", "published", "duplicates"),
    [
        (["a", "b"], set(), ["a", "b"], []),
        (["a", "b", "a"], set(), ["a", "b"], ["a"]),
        (["a", "a", "a"], set(), ["a"], ["a", "a"]),
        (["b", "c"], {"a", "b"}, ["c"], ["b"]),
        ([1, "1"], set(), ["1"], ["1"]),  # the same id, as a number and as text
    ],
    ids=["distinct", "repeated-in-page", "thrice", "seen-earlier-in-run", "number-and-text"],
)
def test_an_entity_taken_twice_in_a_run_is_published_once(ids, seen, published, duplicates) -> None:
    page = [(_item(i), _sent(_item(i))) for i in ids]
    result = triage(page, integration_id="i", correlation_id="c", seen=seen)
    assert [o.request_id for o in result.publish] == published
    assert [d for d, _ in result.duplicates] == duplicates


def test_a_page_keeps_its_order() -> None:
    ids = [f"r{i}" for i in range(20)]
    result = triage(
        [(_item(i), _sent(_item(i))) for i in ids], integration_id="i", correlation_id="c"
    )
    assert [o.request_id for o in result.publish] == ids
