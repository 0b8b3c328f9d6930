"""A topic the poller writes to: batching, splitting around a refused message, and stopping
once the topic fails (shared/sink.py), against a publisher that counts its calls."""

from __future__ import annotations

import pytest
from unit_fakes import CountingPublisher

from shared.core.errors import Failure, PublishError
from shared.core.pubsub import MAX_MESSAGE_BYTES, MAX_REQUEST_MESSAGES
from shared.poll.sink import Sink, chunks

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("sizes", "limits", "expected"),
    [
        ([], {}, []),
        ([1, 2, 3], {}, [range(0, 3)]),
        ([1] * 5, {"max_messages": 2}, [range(0, 2), range(2, 4), range(4, 5)]),
        ([4, 4, 4], {"max_bytes": 8}, [range(0, 2), range(2, 3)]),
        ([9, 1], {"max_bytes": 8}, [range(0, 1), range(1, 2)]),  # too large alone: alone
        ([1] * (MAX_REQUEST_MESSAGES + 1), {}, [range(0, 1000), range(1000, 1001)]),
        ([MAX_MESSAGE_BYTES // 2 + 1] * 2, {}, [range(0, 1), range(1, 2)]),
    ],
    ids=[
        "none",
        "one-request",
        "by-count",
        "by-bytes",
        "oversized-alone",
        "pubsub-count",
        "pubsub-bytes",
    ],
)
def test_chunks_stay_within_pubsubs_request_limits(sizes, limits, expected) -> None:
    assert chunks(sizes, **limits) == expected


def _messages(n: int) -> list[tuple[bytes, dict[str, str]]]:
    return [(f"m{i}".encode(), {"i": str(i)}) for i in range(n)]


def test_every_message_gets_its_id_in_order_in_as_few_requests_as_allowed() -> None:
    publisher = CountingPublisher()
    outcomes = Sink(publisher, "t").send(_messages(2500))
    assert outcomes == [f"id-{i + 1}" for i in range(2500)]
    assert [len(batch) for _, batch in publisher.calls] == [1000, 1000, 500]


def test_a_sink_stops_sending_once_its_topic_failed() -> None:
    publisher = CountingPublisher(accept=0)
    outcomes = Sink(publisher, "t").send(_messages(2500))  # three requests' worth
    assert len(publisher.calls) == 1  # the first request failed: nothing more was sent
    assert all(isinstance(o, PublishError) and o.failure is Failure.PUBSUB for o in outcomes)
    assert len({id(o) for o in outcomes}) == 1  # the topic's one error, for every message


def test_a_topic_that_fails_after_some_messages_keeps_their_ids() -> None:
    publisher = CountingPublisher(accept=1000)
    outcomes = Sink(publisher, "t").send(_messages(2500))
    assert len(publisher.calls) == 2
    assert all(isinstance(o, str) for o in outcomes[:1000])
    assert all(isinstance(o, PublishError) for o in outcomes[1000:])


def test_a_topic_failing_while_a_batch_is_split_stops_the_split() -> None:
    refuse = lambda data, attributes: data == b"m0"  # noqa: E731
    publisher = CountingPublisher(accept=0, refuse=refuse)
    outcomes = Sink(publisher, "t").send(_messages(8))
    assert len(publisher.calls) == 1
    assert all(isinstance(o, PublishError) and o.failure is Failure.PUBSUB for o in outcomes)


@pytest.mark.parametrize("refused", [0, 3, 6, 9], ids=lambda i: f"message-{i}")
def test_one_refused_message_stands_alone_and_takes_nothing_down(refused) -> None:
    bad = f"m{refused}".encode()
    publisher = CountingPublisher(refuse=lambda data, attributes: data == bad)
    outcomes = Sink(publisher, "t").send(_messages(10))
    errors = [i for i, o in enumerate(outcomes) if isinstance(o, PublishError)]
    assert errors == [refused]
    assert outcomes[refused].failure is Failure.INPUT
    assert sorted(d for _, d, _ in publisher.published) == sorted(
        d for i, (d, _) in enumerate(_messages(10)) if i != refused
    )
    assert len(publisher.calls) <= 1 + 2 * 4  # halving: about two requests per level of 10
