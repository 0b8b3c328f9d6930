"""The soak's Cloud Scheduler stand-in (`devstack.soak.drivers.PollScheduler`): once `pause()`
returns, no poll run starts, and every run that did start is counted, so `wait_idle` waits for
it. A run that checked "not paused" and was counted in two steps once slipped past a pause and
published to a Pub/Sub emulator about to be stopped (a short soak lost that message). In
process: the HTTP call is replaced by a recorder."""

from __future__ import annotations

import threading

import pytest

from devstack.soak.drivers import PollScheduler

pytestmark = pytest.mark.unit


@pytest.fixture
def scheduler(monkeypatch: pytest.MonkeyPatch) -> tuple[PollScheduler, list[str]]:
    calls: list[str] = []
    made = PollScheduler({"a": "http://a", "b": "http://b"}, interval_s=60, clock=lambda: 0.0)
    monkeypatch.setattr(made, "_start", calls.append)  # counted, never finished
    return made, calls


def test_a_paused_scheduler_starts_nothing_and_counts_what_it_started(scheduler) -> None:
    made, calls = scheduler
    assert made.fire("a") and made.in_flight() == 1
    made.pause()
    assert not made.fire("b") and calls == ["a"] and made.in_flight() == 1
    assert not made.fire_together(timeout_s=0.01)
    assert made.in_flight() == 1 and not made.wait_idle(timeout_s=0.01)  # "a" still runs


def test_calling_every_deployment_together_waits_for_the_resume(scheduler) -> None:
    made, calls = scheduler
    made.pause()
    fired: list[bool] = []
    waiting = threading.Thread(target=lambda: fired.append(made.fire_together(timeout_s=30)))
    waiting.start()
    assert calls == []
    made.resume()
    waiting.join(30)
    assert fired == [True] and sorted(calls) == ["a", "b"] and made.in_flight() == 2
