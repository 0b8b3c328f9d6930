"""Replaying dead letters: each selected message goes back to the topic it came from, with its
original data and attributes (the dead-letter ones removed, ``replayCount`` added), and the
dead letter is acknowledged only after Pub/Sub acknowledged the republish.

Where a message came from: the subscription it failed on (``CloudPubSubDeadLetterSource*`` or
``sourceSubscription``) -> that subscription's topic; else the dead-letter topic's name
(``X-dead-letter`` -> ``X``) (:mod:`~roitctl.deadletters.targets`). What is never replayed
stays in place, reported with why (:mod:`~roitctl.deadletters.policy`), and so does one
Pub/Sub refuses as such.

Nothing is lost or left half-done whenever the run stops: a dead letter is acknowledged only
once its copy is on the topic; Ctrl-C (or SIGTERM) is held off while a batch is published and
acknowledged, and while a pull answers (:mod:`~roitctl.deadletters.interrupts`); everything
still held is given back at once on the way out (after a crash, once its lease ends). A
publish whose outcome is unknown (the call failed, yet Pub/Sub may have the copy) is not
acknowledged: its dead letter is given back, so it may be replayed twice (at-least-once),
never dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from roitctl import gcp
from roitctl.deadletters import interrupts
from roitctl.deadletters.lease import Lease, Received
from roitctl.deadletters.messages import error_of, replay_attributes
from roitctl.deadletters.policy import ReplayOptions, refusal
from roitctl.deadletters.targets import Targets
from roitctl.layout import Layout, short_name
from shared.core.errors import Failure
from shared.core.pubsub import Publisher
from shared.poll.sink import Sink

__all__ = ["ReplayReport", "replay", "replay_subscription"]


@dataclass
class ReplayReport:
    """What a run did: counts, each replay, and each message left in place and why."""

    subscription: str
    dry_run: bool
    replayed: list[dict[str, str]] = field(default_factory=list)
    left: list[dict[str, str]] = field(default_factory=list)
    not_selected: int = 0
    arrived: int = 0  # dead-lettered while the run went on: left for the next one
    stopped: str | None = None  # why the run ended early (the rest was given back)
    interrupted: bool = False  # Ctrl-C (or SIGTERM)

    def to_json(self) -> dict[str, Any]:
        """As ``--json`` prints it (no message bodies)."""
        return {
            "subscription": self.subscription,
            "dryRun": self.dry_run,
            "replayed": len(self.replayed),
            "left": self.left,
            "notSelected": self.not_selected,
            "arrivedDuringRun": self.arrived,
            "stopped": self.stopped,
            "interrupted": self.interrupted,
            "replays": self.replayed,
        }


def replay(
    lease: Lease,
    targets: Targets,
    publisher: Publisher,
    options: ReplayOptions,
    *,
    pending_topic: str,
    progress: Callable[[int, int], None] = lambda replayed, seen: None,
    empty_pulls: int = 2,
) -> ReplayReport:
    """Replay the selected dead letters of ``lease``'s subscription (see the module doc).

    Ctrl-C ends the run once the batch in hand is published and acknowledged
    (``report.interrupted``); the caller's ``with lease`` gives the rest back.
    """
    run = _Run(lease, targets, publisher, options, pending_topic)
    try:
        run.loop(progress, empty_pulls)
    except KeyboardInterrupt:
        run.report.stopped = "interrupted"
        run.report.interrupted = True
    return run.report


@dataclass
class _Run:
    lease: Lease
    targets: Targets
    publisher: Publisher
    options: ReplayOptions
    pending_topic: str
    done: set[str] = field(default_factory=set)  # message ids decided in this run
    handled: int = 0  # selected messages
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    copies: set[str] = field(default_factory=set)  # ids of the copies this run published

    def __post_init__(self) -> None:
        self.report = ReplayReport(short_name(self.lease.subscription), self.options.dry_run)

    def loop(self, progress: Callable[[int, int], None], empty_pulls: int) -> None:
        options, started, empty = self.options, time.monotonic(), 0
        while empty < empty_pulls and (options.limit is None or self.handled < options.limit):
            self.lease.keep_alive()
            room = options.batch_size if options.limit is None else options.limit - self.handled
            batch = self.lease.pull(min(options.batch_size, room))
            if not batch:
                empty += 1
                time.sleep(0.1)
                continue
            empty = 0
            if not self.batch(batch):
                return
            progress(len(self.report.replayed), len(self.done))
            if options.rate:
                time.sleep(max(0.0, self.handled / options.rate - (time.monotonic() - started)))

    def batch(self, batch: list[Received]) -> bool:
        """Decide and replay one pulled batch; False when the run must stop."""
        again = [m for m in batch if m.message_id in self.done]
        if again and not self.options.dry_run:  # replayed, then handed out again: acknowledge
            with interrupts.held():
                self.lease.ack(again)
        now = datetime.now(UTC)
        chosen: dict[str, list[Received]] = {}
        for message in batch:
            if message.message_id in self.done:
                continue
            self.done.add(message.message_id)
            if self._arrived_during_run(message):
                self.report.arrived += 1
                continue
            if not self.options.selects(message, now):
                self.report.not_selected += 1
                continue
            self.handled += 1
            target = self.targets.for_message(message)
            topic = target[0]
            if why := refusal(message, target, self.options, self.pending_topic):
                self.report.left.append(_entry(message, why))
            elif topic is not None:
                chosen.setdefault(topic, []).append(message)
        for topic, messages in chosen.items():
            if self.options.dry_run:
                self.report.replayed += [_entry(m, "", topic) for m in messages]
            elif stop := _send(self.lease, self.publisher, topic, messages, self.report):
                self.report.stopped = stop
                return False
        self.copies.update(r["newMessageId"] for r in self.report.replayed if "newMessageId" in r)
        return True

    def _arrived_during_run(self, message: Received) -> bool:
        """Dead-lettered after the run began (perhaps a copy it replayed that failed again):
        left for the next run, so one run never replays a message twice."""
        original = message.attributes.get("originalMessageId")
        return message.publish_time > self.started or (
            original is not None and original in self.copies
        )


def _send(
    lease: Lease, publisher: Publisher, topic: str, messages: list[Received], report: ReplayReport
) -> str | None:
    """Republish ``messages`` to ``topic``; acknowledge each once Pub/Sub took its copy.
    Returns why the run must stop (the topic failed), or ``None``."""
    stop: str | None = None
    with interrupts.held():  # a batch published *and* acknowledged, whole
        outcomes = Sink(publisher, topic).send(
            [(m.data, replay_attributes(m.attributes)) for m in messages]
        )
        published = [m for m, o in zip(messages, outcomes, strict=True) if isinstance(o, str)]
        if published:
            lease.ack(published)
        for message, outcome in zip(messages, outcomes, strict=True):
            if isinstance(outcome, str):
                report.replayed.append(_entry(message, "", topic, outcome))
            elif outcome.failure is Failure.INPUT:
                report.left.append(_entry(message, f"Pub/Sub refused it: {outcome.message}"))
            else:
                stop = stop or f"publishing to {short_name(topic)} failed: {outcome.message}"
    return stop


def _entry(message: Received, why: str, topic: str = "", new_id: str = "") -> dict[str, str]:
    entry = {"messageId": message.message_id, "error": error_of(message.attributes)}
    if why:
        entry["why"] = why
    if topic:
        entry["topic"] = short_name(topic)
    if new_id:
        entry["newMessageId"] = new_id
    return entry


def replay_subscription(
    project: str,
    subscription: str,
    options: ReplayOptions,
    *,
    pending_topic: str,
    ack_deadline_s: int = 60,
    progress: Callable[[int, int], None] = lambda replayed, seen: None,
) -> ReplayReport:
    """:func:`replay` on one subscription of ``project``, with clients of its own.

    Raises:
        LookupError: the subscription does not exist.
    """
    layout = Layout(project)
    path = layout.subscription(subscription)
    subscriber = gcp.subscriber_client()
    try:
        targets = Targets(subscriber, path, project)
        if targets.dead_letter_topic is None:
            raise LookupError(
                f"subscription {short_name(path)} does not exist in project {project}: "
                "check its name and --project"
            )
        lease = Lease(
            subscriber, path, ack_deadline_s=ack_deadline_s, return_immediately=gcp.on_emulator()
        )
        with lease:
            return replay(
                lease,
                targets,
                Publisher(project),
                options,
                pending_topic=pending_topic,
                progress=progress,
            )
    finally:
        subscriber.transport.close()
