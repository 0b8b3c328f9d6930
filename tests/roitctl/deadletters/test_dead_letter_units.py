"""dead-letters' pure parts: dead-letter attributes, summaries, replay filters and what a
replay leaves in place, durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from roitctl.deadletters.command import parse_duration
from roitctl.deadletters.lease import Received
from roitctl.deadletters.messages import (
    error_of,
    replay_attributes,
    replay_count,
    source_subscription,
    summarize,
)
from roitctl.deadletters.policy import ReplayOptions, refusal, without_a_fix

pytestmark = pytest.mark.unit

PUSH_DEAD_LETTER = {
    "requestId": "r1",
    "correlationId": "c1",
    "error": "roit_rejected_422",
    "reason": "ROIT answered 422",
    "originalMessageId": "17",
    "failedAt": "2026-11-24T10:00:00+00:00",
    "sourceSubscription": "projects/p/subscriptions/roit-status-push",
}


PUBSUB_DEAD_LETTER = {
    "requestId": "r1",
    "CloudPubSubDeadLetterSourceDeliveryCount": "5",
    "CloudPubSubDeadLetterSourceSubscription": "roit-status-push",
    "CloudPubSubDeadLetterSourceSubscriptionProject": "p",
    "CloudPubSubDeadLetterSourceTopicPublishTime": "2026-11-24T10:00:00Z",
}


def test_replay_keeps_the_original_attributes_only_and_counts() -> None:
    assert replay_attributes(PUSH_DEAD_LETTER) == {
        "requestId": "r1",
        "correlationId": "c1",
        "replayCount": "1",
    }
    assert replay_attributes(PUBSUB_DEAD_LETTER) == {"requestId": "r1", "replayCount": "1"}
    again = replay_attributes({**PUSH_DEAD_LETTER, "replayCount": "2"})
    assert again["replayCount"] == "3"
    remainder = {**PUSH_DEAD_LETTER, "itemsDelivered": "2", "itemsTotal": "4"}
    assert "itemsDelivered" not in replay_attributes(remainder)
    assert replay_count({"replayCount": "junk"}) == 0


def test_error_codes_and_where_a_dead_letter_came_from() -> None:
    assert error_of(PUSH_DEAD_LETTER) == "roit_rejected_422"
    assert error_of(PUBSUB_DEAD_LETTER) == "max_delivery_attempts"
    assert error_of({"a": "b"}) == "unknown"
    expected = "projects/p/subscriptions/roit-status-push"
    assert source_subscription(PUSH_DEAD_LETTER, "other") == expected
    assert source_subscription(PUBSUB_DEAD_LETTER, "other") == expected
    no_project = {"CloudPubSubDeadLetterSourceSubscription": "roit-status-push"}
    assert source_subscription(no_project, "p") == expected
    assert source_subscription({"error": "unreadable_entity"}, "p") is None


def _received(age: timedelta, **attributes: str) -> Received:
    now = datetime.now(UTC)
    return Received("ack", f"m{age.seconds}", b"{}", attributes, now - age)


def test_summary_counts_errors_keeps_the_oldest_and_few_reasons() -> None:
    messages = [
        _received(timedelta(minutes=5), error="a", reason="first"),
        _received(timedelta(hours=2), error="a", reason="second " + "x" * 400),
        _received(timedelta(minutes=1), error="b", reason="first"),
        _received(timedelta(minutes=2), reason="third"),
        _received(timedelta(minutes=3), error="c", reason="fourth"),
    ]
    summary = summarize("s", messages, complete=True)
    assert summary.count == 5
    assert summary.by_error == {"a": 2, "b": 1, "unknown": 1, "c": 1}
    assert summary.oldest == messages[1].publish_time
    assert len(summary.reasons) == 3 and summary.reasons[0] == "first"
    assert len(summary.reasons[1]) == 160
    doc = summary.to_json()
    assert "messages" not in doc and doc["count"] == 5
    assert "data" in summary.to_json(show=True)["messages"][0]


def test_replay_filters() -> None:
    now = datetime.now(UTC)
    old = _received(timedelta(hours=3), error="a")
    new = _received(timedelta(minutes=1), error="b")
    assert ReplayOptions(errors=frozenset({"a"})).selects(old, now)
    assert not ReplayOptions(errors=frozenset({"a"})).selects(new, now)
    assert ReplayOptions(older_than=timedelta(hours=1)).selects(old, now)
    assert not ReplayOptions(older_than=timedelta(hours=1)).selects(new, now)
    assert ReplayOptions(newer_than=timedelta(hours=1)).selects(new, now)
    assert not ReplayOptions(newer_than=timedelta(hours=1)).selects(old, now)


def test_what_can_never_succeed_as_it_is_is_what_the_push_functions_dead_letter() -> None:
    """Every code shared's failure table dead-letters a message with is left in place by
    default (ROIT's 4xx verdicts, an invalid message, one too old); the others are not."""
    from shared.core.errors import Failure, InvalidInputError, PermanentFailure, RoitError
    from shared.entry.failures import Decision, push_decision
    from shared.roit._transport import status_error

    verdicts = [status_error(s, "status") for s in range(400, 500)]
    permanent = [e for e in verdicts if e.failure in {Failure.INPUT, Failure.REJECTED}] + [
        InvalidInputError("bad"),
        PermanentFailure("late", code="too_old"),
    ]
    assert len(permanent) >= 7  # 400, 404, 409, 413, 422, invalid, too old
    for error in permanent:
        decision, code = push_decision(error)
        assert decision is Decision.DEAD_LETTER and without_a_fix(code), code
    retried = [e for e in verdicts if e not in permanent] + [RoitError("down")]
    for error in retried:
        decision, code = push_decision(error)
        assert decision is Decision.RETRY and not without_a_fix(code), code
    for code in ("max_delivery_attempts", "unknown", "unreadable_entity", "roit_rejected_5xx"):
        assert not without_a_fix(code)


def test_a_dead_letter_that_cannot_succeed_is_replayed_only_on_purpose() -> None:
    message = _received(timedelta(minutes=1), error="roit_rejected_422")
    target = ("projects/p/topics/roit-status", "")
    why = refusal(message, target, ReplayOptions(), "roit-pending")
    assert why.startswith("ROIT refused it (422)") and "--error roit_rejected_422" in why
    chosen = ReplayOptions(errors=frozenset({"roit_rejected_422"}))
    assert refusal(message, target, chosen, "roit-pending") == ""
    other = ReplayOptions(errors=frozenset({"too_old"}))
    assert refusal(message, target, other, "roit-pending") == why


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("1.5h", 5400)]
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_a_bad_duration_is_refused() -> None:
    import typer

    with pytest.raises(typer.BadParameter):
        parse_duration("yesterday")
