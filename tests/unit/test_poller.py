"""What a failed pending call means for the target and the run, and the limits that stop a
run (shared/poller.py): a whole drain, in process, with a ROIT and a Pub/Sub that are fakes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from unit_fakes import CountingPublisher

from shared.core import deadline
from shared.core.errors import (
    Failure,
    InvocationDeadlineError,
    MalformedResponseError,
    RoitConnectionError,
    RoitError,
    RoitTimeoutError,
    TokenExchangeError,
)
from shared.poll.loop import Poller
from shared.poll.summary import RunOutcome, Stop
from shared.roit._transport import status_error
from shared.roit.models import PendingEntity
from shared.roit.pages import Page, read_page

pytestmark = pytest.mark.unit


@dataclass
class FakeRoit:
    """Answers each pending call with the next of ``answers`` (a page's body or an error)."""

    answers: list[bytes | RoitError | Exception]
    settings: Any = field(
        default_factory=lambda: SimpleNamespace(
            integration_id="int-1",
            retry_budget_s=1.0,
            http_connect_timeout_s=0.1,  # a hand-back's reserve (shared.poll.handback): 0.2 s
            http_timeout_s=0.1,
        )
    )
    asked: int = 0
    handed_back: list[str] = field(default_factory=list)

    def pending_request(self, entity: PendingEntity, doc_type: str | None = None) -> bytes:
        return json.dumps({"entity": entity.value, "type": doc_type}).encode()

    def pending_page(self, request: bytes) -> Page:
        self.asked += 1
        answer = self.answers.pop(0) if self.answers else b'{"status":"success","data":[]}'
        if isinstance(answer, Exception):
            raise answer
        return read_page(answer)

    def reprocess(self, request_id: str, *, integration_id: str | None = None) -> None:
        self.handed_back.append(request_id)


def _page(*ids: str) -> bytes:
    items = [{"entity": "DOCUMENT", "requestId": i} for i in ids]
    return json.dumps({"status": "success", "data": items}).encode()


def _drain(
    roit: FakeRoit,
    publisher: CountingPublisher | None = None,
    *,
    max_pages: int = 10,
    time_budget_s: float = 60,
    clock: Callable[[], float] | None = None,
) -> tuple[Any, CountingPublisher]:
    publisher = publisher or CountingPublisher()
    poller = Poller(
        client=roit, publisher=publisher, topic="pending", dead_letter_topic="dead",  # type: ignore[arg-type]
        correlation_id="c-1", **({"clock": clock} if clock else {}),
    )  # fmt: skip
    summary = poller.drain(
        [(PendingEntity.DOCUMENT, None)], time_budget_s=time_budget_s, max_pages=max_pages
    )
    return summary, publisher


# (id, what the pending call raised, the target's stop, the run's outcome, its status)
PENDING_FAILURES = [
    (
        "token-exchange",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL"),
        Stop.CONFIG_ERROR,
        RunOutcome.CONFIG_ERROR,
        502,
    ),
    (
        "token-endpoint-down",
        TokenExchangeError("t", setting="ROIT_TOKEN_URL", failure=Failure.UPSTREAM),
        Stop.ROIT_ERROR,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    ("401", status_error(401, "pending"), Stop.CONFIG_ERROR, RunOutcome.CONFIG_ERROR, 502),
    ("403", status_error(403, "pending"), Stop.CONFIG_ERROR, RunOutcome.CONFIG_ERROR, 502),
    ("redirect", status_error(301, "pending"), Stop.CONFIG_ERROR, RunOutcome.CONFIG_ERROR, 502),
    ("503-not-acted", status_error(503, "pending"), Stop.ROIT_ERROR, RunOutcome.ROIT_FAILED, 502),
    ("429", status_error(429, "pending"), Stop.ROIT_ERROR, RunOutcome.ROIT_FAILED, 502),
    (
        "refused-connection",
        RoitConnectionError("refused", ambiguous=False),
        Stop.ROIT_ERROR,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    (
        "500-may-have-acted",
        status_error(500, "pending"),
        Stop.PAGE_MAY_BE_LOST,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    (
        "timeout-after-sending",
        RoitTimeoutError("slow"),
        Stop.PAGE_MAY_BE_LOST,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    (
        "unreadable-answer",
        MalformedResponseError("junk"),
        Stop.PAGE_MAY_BE_LOST,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    (
        "deadline-before-sending",
        InvocationDeadlineError("late"),
        Stop.DEADLINE,
        RunOutcome.DEADLINE,
        200,
    ),
    (
        "deadline-in-flight",
        InvocationDeadlineError("late", ambiguous=True),
        Stop.PAGE_MAY_BE_LOST,
        RunOutcome.ROIT_FAILED,
        502,
    ),
    ("a-bug", ZeroDivisionError("bug"), Stop.PAGE_MAY_BE_LOST, RunOutcome.ROIT_FAILED, 502),
]


@pytest.mark.parametrize(
    ("error", "stop", "outcome", "status"),
    [p[1:] for p in PENDING_FAILURES],
    ids=[p[0] for p in PENDING_FAILURES],
)
def test_a_failed_pending_call_stops_the_target_as_the_table_says(
    error, stop, outcome, status
) -> None:
    summary, publisher = _drain(FakeRoit([error]))
    (target,) = summary.targets
    assert target.stopped is stop
    assert (summary.outcome, summary.status) == (outcome, status)
    assert publisher.calls == []


def test_a_failure_after_a_good_page_keeps_that_page() -> None:
    summary, publisher = _drain(FakeRoit([_page("a", "b"), status_error(500, "pending")]))
    (target,) = summary.targets
    assert (target.published, target.stopped) == (2, Stop.PAGE_MAY_BE_LOST)
    assert [data for _, data, _ in publisher.published] == [
        b'{"entity": "DOCUMENT", "requestId": "a"}',
        b'{"entity": "DOCUMENT", "requestId": "b"}',
    ]


def test_a_drained_queue_is_ok() -> None:
    roit = FakeRoit([_page("a"), _page("b")])
    summary, _ = _drain(roit)
    assert (summary.targets[0].stopped, summary.targets[0].published, summary.status) == (
        Stop.DRAINED, 2, 200,
    )  # fmt: skip


def test_no_page_is_asked_for_past_the_page_cap() -> None:
    roit = FakeRoit([_page(f"r{i}") for i in range(10)])
    summary, _ = _drain(roit, max_pages=3)
    assert (summary.targets[0].stopped, roit.asked) == (Stop.MAX_PAGES, 3)


def test_no_page_is_asked_for_once_the_time_budget_is_spent() -> None:
    ticks = iter([0.0, 0.0, 5.0, 11.0, 11.0, 11.0])  # the drain's start, then each check
    roit = FakeRoit([_page(f"r{i}") for i in range(10)])
    summary, _ = _drain(roit, time_budget_s=10, clock=lambda: next(ticks))
    assert summary.targets[0].stopped is Stop.TIME_BUDGET
    assert roit.asked == 2


def test_no_page_is_asked_for_past_the_invocations_deadline() -> None:
    roit = FakeRoit([_page("a")])
    with deadline.deadline_scope(0):
        summary, _ = _drain(roit)
    assert (summary.targets[0].stopped, roit.asked, summary.status) == (Stop.DEADLINE, 0, 200)


def test_a_failed_topic_hands_the_page_back_and_stops_the_run() -> None:
    roit = FakeRoit([_page("a", "b"), _page("c")])
    summary, _ = _drain(roit, CountingPublisher(accept=0))
    (target,) = summary.targets
    assert target.stopped is Stop.PUBLISH_FAILED
    assert (summary.outcome, summary.status) == (RunOutcome.PUBLISH_FAILED, 503)
    assert sorted(roit.handed_back) == sorted(target.handed_back_request_ids)
    assert {"a", "b"} <= set(roit.handed_back)


def test_an_unreadable_page_is_kept_whole_in_the_dead_letter_topic() -> None:
    answer = b'{"status": "success", "data": {"docs": []}}'
    summary, publisher = _drain(FakeRoit([answer]))
    assert summary.targets[0].stopped is Stop.PAGE_UNREADABLE
    (topic, data, attributes) = publisher.published[0]
    assert (topic, attributes["error"]) == ("dead", "unreadable_page")
    assert json.loads(data) == json.loads(answer)
    assert summary.status == 503  # something of the run is not on the pending topic


def test_an_entity_handed_out_twice_in_a_run_is_published_once_and_handed_back() -> None:
    roit = FakeRoit([_page("a", "b"), _page("a")])
    summary, publisher = _drain(roit)
    (target,) = summary.targets
    assert len(publisher.published) == 2 and target.duplicates == 1
    assert roit.handed_back == ["a"]


def test_a_topic_failing_midway_hands_back_the_failed_page_and_the_one_in_flight() -> None:
    """The topic takes the first page and then fails (no race with a thread deleting it): the
    page that failed and the one already fetched while it was published go back whole."""
    pages = [_page(*(f"p{p}-{i}" for i in range(50))) for p in range(3)]
    roit = FakeRoit(pages)
    summary, publisher = _drain(roit, CountingPublisher(accept=50))
    (target,) = summary.targets
    assert (summary.status, target.stopped) == (503, Stop.PUBLISH_FAILED)
    assert (target.published, target.handed_back, target.failed) == (50, 100, 0)
    published = {json.loads(data)["requestId"] for _, data, _ in publisher.published}
    assert published == {f"p0-{i}" for i in range(50)}
    assert sorted(roit.handed_back) == sorted(target.handed_back_request_ids)
    assert set(roit.handed_back) == {f"p{p}-{i}" for p in (1, 2) for i in range(50)}
