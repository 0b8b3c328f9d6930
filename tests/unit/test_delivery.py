"""Registering a delivery: reading the message, batching, what a failure leaves to redeliver
or dead-letter, and handing the rest on at the deadline (shared/delivery.py)."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from unit_fakes import CountingPublisher

from shared.core import deadline
from shared.core.errors import (
    Failure,
    InvalidInputError,
    InvocationDeadlineError,
    PermanentFailure,
    PublishError,
    RoitError,
)
from shared.push.delivery import Unfinished, deliver, hand_on, read_delivery
from shared.push.envelope import PushMessage
from shared.roit._transport import status_error

pytestmark = pytest.mark.unit


def _message(n: int, **header: Any) -> bytes:
    items = [{"id": i} for i in range(n)]
    return json.dumps({"entity": "DOCUMENT", **header, "data": items}).encode()


class FakeRoit:
    """Takes delivery batches; fails the batches named in ``fail`` (index -> error)."""

    def __init__(self, fail: dict[int, Exception] | None = None, clock: Any = None) -> None:
        self.fail = fail or {}
        self.batches: list[list[int]] = []
        self.clock = clock

    def register_delivery(self, header: Any, items: list[memoryview]) -> None:
        index = len(self.batches)
        self.batches.append([json.loads(bytes(i))["id"] for i in items])
        if self.clock is not None:
            self.clock.now += 10.0  # each call takes 10 s of the invocation
        if index in self.fail:
            raise self.fail[index]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The deadlines' clock, advanced by the fake ROIT rather than by waiting."""
    fake = FakeClock()
    monkeypatch.setattr(deadline, "time", SimpleNamespace(monotonic=fake.monotonic))
    return fake


@pytest.mark.parametrize(
    ("items", "size", "batches"),
    [
        (1, 100, [[0]]),
        (5, 2, [[0, 1], [2, 3], [4]]),
        (4, 2, [[0, 1], [2, 3]]),
        (3, 1, [[0], [1], [2]]),
    ],
    ids=["one-batch", "remainder", "exact", "one-each"],
)
def test_batches_go_in_order_of_at_most_the_batch_size(items, size, batches) -> None:
    roit = FakeRoit()
    summary = deliver(roit, read_delivery(_message(items)), batch_size=size)  # type: ignore[arg-type]
    assert roit.batches == batches
    assert summary == {"entity": "DOCUMENT", "items": items, "calls": len(batches)}


READ_ERRORS = [
    ("no-data", b'{"entity": "DOCUMENT"}', "data"),
    ("empty-data", b'{"entity": "DOCUMENT", "data": []}', "data"),
    ("data-not-a-list", b'{"entity": "DOCUMENT", "data": {"id": 1}}', "data"),
    ("item-not-an-object", b'{"entity": "DOCUMENT", "data": [1]}', None),
    ("unknown-entity", b'{"entity": "NOPE", "data": [{"id": 1}]}', "entity"),
    ("unknown-key", b'{"entity": "DOCUMENT", "secretKey": 1, "data": [{}]}', None),
    ("not-json", b"{", None),
]


@pytest.mark.parametrize(
    ("data", "field"), [r[1:] for r in READ_ERRORS], ids=[r[0] for r in READ_ERRORS]
)
def test_a_bad_delivery_message_is_invalid_input(data, field) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read_delivery(data)
    if field:
        assert caught.value.field == field
    assert "secretKey" not in caught.value.message


# (id, the failing batch, its error, what deliver raises, dead-letter code or None)
FAILURES = [
    ("first-batch-rejected", 0, status_error(422, "delivery"), type(status_error(422, "x")), None),
    ("first-batch-roit-down", 0, status_error(503, "delivery"), type(status_error(503, "x")), None),
    (
        "later-batch-rejected",
        2,
        status_error(422, "delivery"),
        PermanentFailure,
        "roit_rejected_422",
    ),
    ("later-batch-404", 1, status_error(404, "delivery"), PermanentFailure, "roit_rejected_404"),
    ("later-batch-roit-down", 2, status_error(500, "delivery"), type(status_error(500, "x")), None),
    ("later-batch-403", 1, status_error(403, "delivery"), type(status_error(403, "x")), None),
]


@pytest.mark.parametrize(
    ("at", "error", "raised", "code"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
def test_a_failed_batch_leaves_the_rest_to_redeliver_or_dead_letter(
    at, error, raised, code
) -> None:
    roit = FakeRoit(fail={at: error})
    with pytest.raises(RoitError) as caught:
        deliver(roit, read_delivery(_message(5)), batch_size=2)  # type: ignore[arg-type]
    assert type(caught.value) is raised
    assert len(roit.batches) == at + 1  # nothing sent after the failure
    if code:
        failure = caught.value
        assert isinstance(failure, PermanentFailure) and failure.code == code
        assert failure.attributes == {"itemsDelivered": str(2 * at), "itemsTotal": "5"}
        rest = json.loads(failure.data or b"")
        assert [i["id"] for i in rest["data"]] == list(range(2 * at, 5))  # only what is left


def test_no_time_before_the_first_batch_is_redelivered(clock) -> None:
    roit = FakeRoit()
    with deadline.deadline_scope(0), pytest.raises(InvocationDeadlineError) as caught:
        deliver(roit, read_delivery(_message(3)), batch_size=1)  # type: ignore[arg-type]
    assert not isinstance(caught.value, Unfinished) and roit.batches == []


def test_the_deadline_after_some_batches_leaves_the_rest_unfinished(clock) -> None:
    roit = FakeRoit(clock=clock)
    with deadline.deadline_scope(25), pytest.raises(Unfinished) as caught:
        deliver(roit, read_delivery(_message(5)), batch_size=1)  # type: ignore[arg-type]
    rest = caught.value
    assert (len(roit.batches), rest.delivered, rest.total) == (3, 3, 5)
    assert [i["id"] for i in json.loads(rest.data)["data"]] == [3, 4]


def test_the_reserve_for_handing_on_is_kept_back_from_the_deadline(clock) -> None:
    roit = FakeRoit(clock=clock)
    with deadline.deadline_scope(25), pytest.raises(Unfinished) as caught:
        deliver(roit, read_delivery(_message(5)), batch_size=1, reserve_s=10)  # type: ignore[arg-type]
    assert caught.value.delivered == 2


def test_a_batch_cut_in_flight_by_the_deadline_is_sent_again_with_the_rest() -> None:
    roit = FakeRoit(fail={1: InvocationDeadlineError("cut", ambiguous=True)})
    with pytest.raises(Unfinished) as caught:
        deliver(roit, read_delivery(_message(4)), batch_size=2)  # type: ignore[arg-type]
    assert caught.value.delivered == 2
    assert [i["id"] for i in json.loads(caught.value.data)["data"]] == [2, 3]


def _push(attributes: dict[str, str]) -> PushMessage:
    return PushMessage(data=b"", attributes=attributes, message_id="m-1", publish_time=None)


def test_hand_on_publishes_the_rest_as_a_new_message() -> None:
    publisher = CountingPublisher()
    rest = Unfinished("late", data=b'{"entity":"DOCUMENT","data":[{}]}', delivered=3, total=5)
    original = {"correlationId": "c", "continuationOf": "older", "itemsDelivered": "1"}
    summary = hand_on(publisher, "deliveries", _push(original), rest)  # type: ignore[arg-type]
    ((topic, data, attributes),) = publisher.published
    assert (topic, data) == ("deliveries", rest.data)
    assert attributes == {
        "correlationId": "c", "continuationOf": "m-1", "itemsDelivered": "3", "itemsTotal": "5",
    }  # fmt: skip
    assert summary == {"items": 3, "itemsLeft": 2, "continuedAs": "id-1"}


def test_hand_on_keeps_within_pubsubs_attribute_count() -> None:
    publisher = CountingPublisher()
    rest = Unfinished("late", data=b"{}", delivered=1, total=2)
    hand_on(publisher, "t", _push({f"k{i}": "v" for i in range(100)}), rest)  # type: ignore[arg-type]
    assert len(publisher.published[0][2]) == 100


def test_hand_on_that_cannot_publish_raises_so_the_original_is_redelivered() -> None:
    rest = Unfinished("late", data=b"{}", delivered=1, total=2)
    with pytest.raises(PublishError) as caught:
        hand_on(CountingPublisher(accept=0), "t", _push({}), rest)  # type: ignore[arg-type]
    assert caught.value.failure is Failure.PUBSUB
