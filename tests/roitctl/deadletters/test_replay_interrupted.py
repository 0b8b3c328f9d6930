"""Replay interrupted at any point (Ctrl-C, a crash, a Pub/Sub error) loses nothing and
duplicates nothing beyond at-least-once; filters, limits and dry runs change only what they
say. On the emulator, with a topic family of its own per test (``family``: ``load``, its
``load-sub``, ``load-dead-letter`` and ``load-dead-letter-sub``)."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

import pytest
from deadletters_helpers import Family
from roitctl_helpers import cli_process, pull, run_cli

pytestmark = pytest.mark.integration

N = 60


def replay(*args: str):
    return run_cli("dead-letters", "replay", "load-dead-letter-sub", "--json", *args)


def replay_until_all_seen(family: Family, seen: list[str], timeout_s: float = 60) -> list[str]:
    """Run replay again and again until every dead letter's copy arrived: what a stopped run
    held comes back only once its ack deadline (10 s here) passed, and until then nobody,
    ``list`` included, sees it. Then nothing may be left."""
    arrived: list[str] = []
    deadline = time.monotonic() + timeout_s
    while set(seen + arrived) != {str(n) for n in range(N)}:
        assert time.monotonic() < deadline, "a dead letter was lost"
        result = replay("--ack-deadline", "10")
        assert result.code == 0, result.out
        arrived += family.observed()
        time.sleep(1)
    assert family.left() == 0
    return arrived


def watch(family: Family, process, at_least: int, timeout_s: float = 60) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while len(seen) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the replay made no progress"
        seen += family.observed()
    return seen


def test_ctrl_c_midway_loses_and_duplicates_nothing(family) -> None:
    family.dead_letters(N)
    process = cli_process(
        "dead-letters", "replay", "load-dead-letter-sub", "--json", "--rate", "15",
        "--batch-size", "1", "--ack-deadline", "10", env=family.env(),
    )  # fmt: skip
    seen = watch(family, process, at_least=10)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert err.strip().splitlines() == ["interrupted"]
    report = json.loads(out)
    assert report["interrupted"] is True
    seen += family.observed()
    assert len(seen) == report["replayed"] < N  # every replay reported, and stopped midway
    # acknowledged exactly what was replayed, and gave back at once everything else it held:
    # listed within 2 s, well before the 10 s ack deadline would hand out one it kept (Ctrl-C
    # in a pull, the emulator's answer lost, was that case: test_replay_interrupt_timing.py)
    assert family.left_settles(N - len(seen), within_s=2.0) == N - len(seen)

    result = replay()  # one more run takes the rest: nothing is still held anywhere
    assert result.code == 0 and result.json()["replayed"] == N - len(seen)
    assert family.left() == 0
    seen += family.observed()
    assert Counter(seen) == Counter(str(n) for n in range(N))  # each exactly once


def test_a_crash_midway_loses_nothing_and_a_rerun_continues(family) -> None:
    family.dead_letters(N)
    process = cli_process(
        "dead-letters", "replay", "load-dead-letter-sub", "--rate", "15", "--batch-size", "1",
        "--ack-deadline", "10", env=family.env(),
    )  # fmt: skip
    seen = watch(family, process, at_least=10)
    process.kill()  # no chance to give anything back
    process.communicate(timeout=30)
    seen += family.observed()
    seen += replay_until_all_seen(family, seen)
    counts = Counter(seen)
    assert set(counts) == {str(n) for n in range(N)}  # nothing lost
    assert sum(counts.values()) - N <= 1  # at most the one in flight twice (at-least-once)


def test_a_pubsub_failure_midway_stops_without_acknowledging_and_a_rerun_continues(
    family,
) -> None:
    from roitctl import gcp
    from roitctl.deadletters.lease import Lease
    from roitctl.deadletters.policy import ReplayOptions
    from roitctl.deadletters.replay import replay as run_replay
    from roitctl.deadletters.targets import Targets
    from shared.core.pubsub import Publisher

    family.dead_letters(N)
    subscriber = gcp.subscriber_client()
    path = family.sub("load-dead-letter-sub")

    def break_pubsub(replayed: int, seen: int) -> None:
        if replayed and family.topic("load") not in deleted:
            family.publisher.delete_topic(topic=family.topic("load"))
            deleted.append(family.topic("load"))

    deleted: list[str] = []
    try:
        with Lease(subscriber, path, return_immediately=True) as lease:
            report = run_replay(
                lease,
                Targets(subscriber, path, family.project),
                Publisher(family.project),
                ReplayOptions(batch_size=10),
                pending_topic="roit-pending",
                progress=break_pubsub,
            )
    finally:
        subscriber.transport.close()
    assert report.stopped is not None and report.stopped.startswith("publishing to load failed")
    assert len(report.replayed) == 10
    assert family.left() == N - 10  # the failed batch was not acknowledged
    seen = family.observed()  # the copies that made it before the topic went
    assert len(seen) == 10

    family.create("load", "load-sub-2")  # Pub/Sub is back (a new observer)
    result = replay()
    assert result.code == 0 and result.json()["replayed"] == N - 10
    seen += family.observed("load-sub-2")
    assert Counter(seen) == Counter(str(n) for n in range(N))


def test_a_message_pubsub_refuses_is_left_in_place_and_the_rest_replayed(family) -> None:
    family.dead_letters(3)
    crowded = {f"a{i}": "x" for i in range(100)}  # Pub/Sub's limit: no room for replayCount
    family.publisher.publish(family.topic("load-dead-letter"), b"{}", **crowded).result(30)
    result = replay()
    assert result.code == 1
    report = result.json()
    assert report["replayed"] == 3
    (left,) = report["left"]
    assert left["why"].startswith("Pub/Sub refused it") and "attributes" in left["why"]
    assert family.left() == 1
    assert sorted(family.observed()) == ["0", "1", "2"]


def test_dry_run_filters_and_limit_change_only_what_they_say(family) -> None:
    family.dead_letters(9, mixed=True)  # invalid_message: 0, 3, 6; Pub/Sub's own: the rest
    dry = replay("--dry-run")
    assert dry.code == 1 and dry.json()["replayed"] == 6 and dry.json()["dryRun"] is True
    left = dry.json()["left"]
    assert [entry["error"] for entry in left] == ["invalid_message"] * 3
    assert left[0]["why"] == (
        "the message itself is invalid: it fails the same way again; "
        "once its cause is fixed, replay it with --error invalid_message"
    )
    assert family.left() == 9 and family.observed() == []

    assert replay("--older-than", "1h").json()["notSelected"] == 9
    assert family.left() == 9

    only = replay("--error", "invalid_message", "--newer-than", "1h")
    assert only.json()["replayed"] == 3
    assert sorted(family.observed()) == ["0", "3", "6"]

    limited = replay("--limit", "2")
    assert limited.json()["replayed"] == 2
    assert family.left() == 4
    assert len(family.observed()) == 2

    human = run_cli("dead-letters", "replay", "load-dead-letter-sub")
    assert human.code == 0
    assert "replayed 4 (4 to load); 0 left in place; 0 not selected" in human.out


def test_unknown_subscription_and_bad_options_fail_to_start(family) -> None:
    result = run_cli("dead-letters", "replay", "no-such-sub")
    assert result.code == 2 and "does not exist" in result.err
    result = run_cli("dead-letters", "replay", "load-dead-letter-sub", "--older-than", "soon")
    assert result.code == 2


def test_a_source_subscription_on_another_topic_is_not_trusted(family) -> None:
    family.create("other", "other-sub")
    family.dead_letters(2)
    family.publisher.publish(
        family.topic("load-dead-letter"), b"{}", sourceSubscription=family.sub("other-sub")
    ).result(30)
    result = replay()
    assert result.code == 1 and result.json()["replayed"] == 2
    (left,) = result.json()["left"]
    assert left["why"] == ("its source subscription is on other, but it was dead-lettered for load")
    assert pull(family.subscriber, family.sub("other-sub"), None, 1) == []
