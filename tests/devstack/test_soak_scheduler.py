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


class FakeBoard:
    """The sandbox's fault board as `SoakFaults` reads and sets it (in process)."""

    def __init__(self) -> None:
        self.pending: dict[str, int] = {}

    def faults(self) -> dict[str, dict[str, int]]:
        return {"pending": dict(self.pending)} if self.pending else {}

    def set_fault(self, endpoint: str, **spec: int) -> None:
        self.pending = {"drop_after_commit_next": spec["drop_after_commit_next"]}

    def take(self) -> None:  # a page with an entity came: the sandbox dropped it
        self.pending["drop_after_commit_next"] -= 1

    def clear_faults(self) -> None:
        self.pending = {}


def test_a_lost_page_armed_but_never_taken_is_not_expected_lost() -> None:
    from types import SimpleNamespace

    from devstack.soak.faults import FaultRates, SoakFaults

    board = FakeBoard()
    stack = SimpleNamespace(options=SimpleNamespace(client_secret="s"))
    faults = SoakFaults(stack, board, FaultRates(), clock=lambda: 0.0, say=lambda _: None)  # type: ignore[arg-type]
    faults.lose_page()
    board.take()
    faults.lose_page()  # armed late: no page comes before the faults end
    faults.clear()
    assert faults.lost_pages_untaken == 1 and faults.lost_pages_taken() == 1
