"""A poll run's outcome and HTTP status for every way a target stops (shared/pollsummary.py)."""

from __future__ import annotations

import pytest

from shared.poll.summary import PollSummary, RunOutcome, Stop, TargetSummary

pytestmark = pytest.mark.unit

# every stop, alone: the run's outcome and the status Cloud Scheduler sees
STOPS = [
    (Stop.DRAINED, RunOutcome.OK, 200),
    (Stop.MAX_PAGES, RunOutcome.OK, 200),
    (Stop.TIME_BUDGET, RunOutcome.OK, 200),
    (Stop.SKIPPED, RunOutcome.OK, 200),
    (Stop.RUN_STOPPED, RunOutcome.OK, 200),
    (Stop.DEADLINE, RunOutcome.DEADLINE, 200),
    (Stop.ROIT_ERROR, RunOutcome.ROIT_FAILED, 502),
    (Stop.PAGE_MAY_BE_LOST, RunOutcome.ROIT_FAILED, 502),
    (Stop.PAGE_UNREADABLE, RunOutcome.ROIT_FAILED, 502),
    (Stop.CONFIG_ERROR, RunOutcome.CONFIG_ERROR, 502),
    (Stop.SECRET_STORE, RunOutcome.SECRET_STORE_FAILED, 503),
    (Stop.NOTHING_NEW, RunOutcome.OK, 200),
    (Stop.PAGE_FAILED, RunOutcome.PUBLISH_FAILED, 503),
]


def _summary(*targets: TargetSummary) -> PollSummary:
    return PollSummary(correlation_id="c", targets=list(targets))


def test_every_stop_is_in_the_table() -> None:
    assert {s for s, _, _ in STOPS} | {Stop.PUBLISH_FAILED} == set(Stop)


@pytest.mark.parametrize(("stop", "outcome", "status"), STOPS, ids=[s.value for s, _, _ in STOPS])
def test_a_runs_outcome_and_status_for_each_stop(stop, outcome, status) -> None:
    summary = _summary(TargetSummary("DOCUMENT", None, stopped=stop))
    assert (summary.outcome, summary.status) == (outcome, status)
    assert summary.to_json()["outcome"] == outcome.value


@pytest.mark.parametrize(
    "counts",
    [{"handed_back": 1}, {"dead_lettered": 1}, {"failed": 1}],
    ids=["handed-back", "dead-lettered", "failed"],
)
def test_any_entity_not_on_the_pending_topic_is_a_503(counts) -> None:
    # a topic failing stops the target as publish_failed, with its entities handed back
    target = TargetSummary("DOCUMENT", None, stopped=Stop.PUBLISH_FAILED, **counts)
    summary = _summary(target)
    assert (summary.outcome, summary.status) == (RunOutcome.PUBLISH_FAILED, 503)


@pytest.mark.parametrize(
    ("stops", "outcome"),
    [
        ((Stop.CONFIG_ERROR, Stop.PAGE_FAILED), RunOutcome.CONFIG_ERROR),
        ((Stop.PAGE_FAILED, Stop.ROIT_ERROR), RunOutcome.PUBLISH_FAILED),
        ((Stop.PAGE_MAY_BE_LOST, Stop.DEADLINE), RunOutcome.ROIT_FAILED),
        ((Stop.DEADLINE, Stop.DRAINED), RunOutcome.DEADLINE),
        ((Stop.DRAINED, Stop.SKIPPED), RunOutcome.OK),
    ],
    ids=["config-first", "publishing-before-roit", "roit-before-deadline", "deadline", "ok"],
)
def test_the_worst_target_decides(stops, outcome) -> None:
    summary = _summary(*(TargetSummary(f"E{i}", None, stopped=s) for i, s in enumerate(stops)))
    assert summary.outcome is outcome


def test_totals_add_every_target() -> None:
    summary = _summary(
        TargetSummary("A", None, fetched=3, published=2, dead_lettered=1),
        TargetSummary("B", "NFE", fetched=5, published=5, duplicates=1),
    )
    assert summary.totals() == {
        "fetched": 8, "published": 7, "handedBack": 0, "deadLettered": 1, "failed": 0,
        "duplicates": 1,
    }  # fmt: skip
    (a, b) = summary.to_json()["targets"]
    assert (a["entity"], b["type"], b["stopped"]) == ("A", "NFE", "drained")
