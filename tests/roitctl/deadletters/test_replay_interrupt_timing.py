"""Ctrl-C at the moments a real run hits only now and then, made exact: while a pull's answer
is on its way (the emulator has handed the messages out already) and while a replay's publish
is on its way (Pub/Sub has the copy already). Everything is real — the emulator, the clients,
the SIGINT to this process — except when it comes: from inside the call, once the call is
done on the emulator's side and before the caller has its answer."""

from __future__ import annotations

import os
import signal
from collections import Counter
from typing import Any

import pytest
from deadletters_helpers import Family
from roitctl_helpers import run_cli

from roitctl import gcp
from roitctl.deadletters.lease import Lease
from roitctl.deadletters.policy import ReplayOptions
from roitctl.deadletters.replay import ReplayReport, replay
from roitctl.deadletters.targets import Targets
from shared.core.errors import PublishError
from shared.core.pubsub import Publisher

pytestmark = pytest.mark.integration

N = 6
AT_ONCE_S = 2.0  # given back: listed within this; kept: only after the 10 s ack deadline


class CtrlCDuring:
    """``client`` as it is, except that its ``method`` call number ``at_call`` runs, then
    SIGINT arrives before it returns (and, with ``then_fails``, the call fails after all:
    the caller cannot know Pub/Sub took it)."""

    def __init__(
        self, client: Any, method: str, at_call: int, then_fails: Exception | None = None
    ) -> None:
        self._client, self._method, self._at, self._fails = client, method, at_call, then_fails
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if name != self._method:
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            result = found(*args, **kwargs)
            self.calls += 1
            if self.calls == self._at:
                os.kill(os.getpid(), signal.SIGINT)
                if self._fails is not None:
                    raise self._fails
            return result

        return call


def run(family: Family, *, pulls: int = 0, publishes: int = 0, unknown: bool = False) -> Any:
    """One message at a time; Ctrl-C during pull number ``pulls`` or publish ``publishes``."""
    subscriber = gcp.subscriber_client()
    path = family.sub("load-dead-letter-sub")
    fails = PublishError("Pub/Sub did not answer in time") if unknown else None
    puller = CtrlCDuring(subscriber, "pull", pulls)
    publisher = CtrlCDuring(Publisher(family.project), "publish_batch", publishes, fails)
    try:
        with Lease(puller, path, ack_deadline_s=10, return_immediately=True) as lease:
            report: ReplayReport = replay(
                lease,
                Targets(subscriber, path, family.project),
                publisher,  # type: ignore[arg-type]  # a Publisher, its publish interrupted
                ReplayOptions(batch_size=1),
                pending_topic="roit-pending",
            )
    finally:
        subscriber.transport.close()
    assert puller.calls >= pulls and publisher.calls >= publishes  # the signal was sent
    return report


def rerun_all(family: Family, seen: list[str]) -> Counter[str]:
    result = run_cli("dead-letters", "replay", "load-dead-letter-sub", "--json")
    assert result.code == 0, result.out
    assert family.left() == 0
    return Counter(seen + family.observed())


def test_ctrl_c_while_a_pull_answers_gives_what_it_pulled_back_at_once(family) -> None:
    family.dead_letters(N)
    report = run(family, pulls=3)  # two replayed, the third pulled as Ctrl-C came
    assert report.interrupted and report.stopped == "interrupted"
    seen = family.observed()
    assert len(seen) == len(report.replayed) == 2
    assert family.left_settles(N - 2, within_s=AT_ONCE_S) == N - 2  # the third one included
    assert rerun_all(family, seen) == Counter(str(n) for n in range(N))  # each exactly once


def test_ctrl_c_while_a_publish_answers_acknowledges_what_pubsub_took(family) -> None:
    family.dead_letters(N)
    report = run(family, publishes=3)  # Pub/Sub took the third copy as Ctrl-C came
    assert report.interrupted
    seen = family.observed()
    assert len(seen) == len(report.replayed) == 3  # the third reported, its dead letter gone
    assert family.left_settles(N - 3, within_s=AT_ONCE_S) == N - 3
    assert rerun_all(family, seen) == Counter(str(n) for n in range(N))  # each exactly once


def test_ctrl_c_while_a_publish_of_unknown_outcome_gives_it_back(family) -> None:
    """Pub/Sub took the copy but the call failed: the run cannot know, and gives the dead
    letter back rather than acknowledge one that may not be on the topic (nothing lost; that
    one is replayed twice, the at-least-once the module promises)."""
    family.dead_letters(N)
    report = run(family, publishes=3, unknown=True)
    assert report.interrupted and report.stopped == "interrupted"
    assert len(report.replayed) == 2
    seen = family.observed()
    assert len(seen) == 3  # the third copy is on the topic all the same
    assert family.left_settles(N - 2, within_s=AT_ONCE_S) == N - 2  # its dead letter kept
    counts = rerun_all(family, seen)
    assert set(counts) == {str(n) for n in range(N)} and sum(counts.values()) == N + 1
