"""Dead letters: what each one is, where it came from, and a summary per subscription.

Three kinds reach a ``<topic>-dead-letter-sub``, all with the original data and attributes:

* written by a push function (``update_status``, ``register_delivery``) on a permanent
  failure: plus ``error``, ``reason``, ``originalMessageId``, ``failedAt``,
  ``sourceSubscription`` (and ``itemsDelivered`` / ``itemsTotal`` when only the undelivered
  rest of a delivery is kept: its data is that rest, complete in itself);
* moved by Pub/Sub's own dead-letter policy after the delivery attempts ran out: plus
  ``CloudPubSubDeadLetterSource*`` (no ``error``: listed as ``max_delivery_attempts``);
* written by ``poll_pending`` (what ROIT sent that it could not read or publish): plus
  ``error`` (``unreadable_entity``, ``unpublishable_entity``, ``unreadable_page``) and
  ``reason``.

Listing never acknowledges: messages are pulled, held and given back
(:mod:`roitctl.deadletters.lease`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from roitctl.deadletters.lease import Lease, Received

__all__ = [
    "DEAD_LETTER_ATTRIBUTES",
    "PUBSUB_PREFIX",
    "REPLAY_COUNT",
    "Summary",
    "error_of",
    "list_subscriptions",
    "peek",
    "replay_attributes",
    "replay_count",
    "source_subscription",
    "summarize",
]

REPLAY_COUNT = "replayCount"
PUBSUB_PREFIX = "CloudPubSubDeadLetterSource"
DEAD_LETTER_ATTRIBUTES = frozenset(
    {
        "error",
        "reason",
        "originalMessageId",
        "failedAt",
        "sourceSubscription",
        "itemsDelivered",
        "itemsTotal",
    }
)
"""What the connector adds to a dead letter; removed on replay, with ``PUBSUB_PREFIX*``."""

MAX_DELIVERY_ATTEMPTS = "max_delivery_attempts"
_REASONS = 3
_REASON_CHARS = 160


def error_of(attributes: dict[str, str]) -> str:
    """The dead letter's ``error`` code (Pub/Sub's own dead letters have none)."""
    if error := attributes.get("error"):
        return error
    if any(k.startswith(PUBSUB_PREFIX) for k in attributes):
        return MAX_DELIVERY_ATTEMPTS
    return "unknown"


def replay_count(attributes: dict[str, str]) -> int:
    """How many times this message was replayed already."""
    raw = attributes.get(REPLAY_COUNT, "0")
    return int(raw) if raw.isdigit() else 0


def replay_attributes(attributes: dict[str, str]) -> dict[str, str]:
    """The original attributes: the dead-letter ones removed, the replay count added."""
    kept = {
        k: v
        for k, v in attributes.items()
        if k not in DEAD_LETTER_ATTRIBUTES and not k.startswith(PUBSUB_PREFIX)
    }
    kept[REPLAY_COUNT] = str(replay_count(attributes) + 1)
    return kept


def source_subscription(attributes: dict[str, str], project: str) -> str | None:
    """The subscription the message failed on, as a full path, when it says."""
    name = attributes.get(f"{PUBSUB_PREFIX}Subscription")
    if name:
        if name.startswith("projects/"):
            return name
        owner = attributes.get(f"{PUBSUB_PREFIX}SubscriptionProject") or project
        return f"projects/{owner}/subscriptions/{name}"
    name = attributes.get("sourceSubscription")
    if name and name.startswith("projects/") and "/subscriptions/" in name:
        return name
    return None


@dataclass
class Summary:
    """One dead-letter subscription at a glance."""

    subscription: str
    count: int = 0
    complete: bool = True  # False: more than ``limit`` were there, only that many were read
    oldest: datetime | None = None
    by_error: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)
    messages: list[Received] = field(default_factory=list)
    problem: str | None = None  # the subscription could not be read

    def to_json(self, *, show: bool = False) -> dict[str, Any]:
        """As ``--json`` prints it; message bodies only with ``show``."""
        doc: dict[str, Any] = {
            "subscription": self.subscription,
            "count": self.count,
            "complete": self.complete,
            "oldest": self.oldest.isoformat() if self.oldest else None,
            "oldestAgeS": round(age_s(self.oldest)) if self.oldest else None,
            "byError": dict(self.by_error),
            "reasons": list(self.reasons),
        }
        if self.problem:
            doc["problem"] = self.problem
        if show:
            doc["messages"] = [message_json(m) for m in self.messages]
        return doc


def age_s(when: datetime, now: datetime | None = None) -> float:
    """Seconds since ``when``."""
    return ((now or datetime.now(UTC)) - when).total_seconds()


def message_json(message: Received) -> dict[str, Any]:
    """One dead letter in full: only for ``--show`` (its body may carry business data)."""
    try:
        data: Any = json.loads(message.data)
    except ValueError:
        data = message.data.decode("utf-8", errors="replace")
    return {
        "messageId": message.message_id,
        "publishTime": message.publish_time.isoformat(),
        "attributes": dict(message.attributes),
        "data": data,
    }


def summarize(subscription: str, messages: list[Received], *, complete: bool) -> Summary:
    """Count, oldest, counts by ``error`` and a few distinct reasons (pure)."""
    summary = Summary(subscription, count=len(messages), complete=complete, messages=messages)
    for message in messages:
        summary.by_error[error_of(message.attributes)] += 1
        if summary.oldest is None or message.publish_time < summary.oldest:
            summary.oldest = message.publish_time
        reason = message.attributes.get("reason")
        if reason and len(summary.reasons) < _REASONS:
            short = reason if len(reason) <= _REASON_CHARS else reason[: _REASON_CHARS - 1] + "…"
            if short not in summary.reasons:
                summary.reasons.append(short)
    return summary


def peek(lease: Lease, *, limit: int, empty_pulls: int = 2) -> tuple[list[Received], bool]:
    """Every message of the subscription (up to ``limit``), held, then given back by the
    lease's ``with`` block; whether that was all of them."""
    messages: list[Received] = []
    empty = 0
    while len(messages) < limit and empty < empty_pulls:
        lease.keep_alive()
        batch = lease.pull(min(1000, limit - len(messages)))
        if not batch:
            empty += 1
            continue
        empty = 0
        messages.extend(batch)
    complete = len(messages) < limit or not lease.pull(1)
    return messages[:limit], complete


def list_subscriptions(project: str, names: list[str], *, limit: int = 1000) -> list[Summary]:
    """A summary of each subscription (short names or paths), read without acknowledging."""
    from roitctl import gcp
    from roitctl.layout import Layout, short_name

    layout = Layout(project)
    summaries: list[Summary] = []
    subscriber = gcp.subscriber_client()
    try:
        for name in names:
            path = layout.subscription(name)
            try:
                with Lease(subscriber, path, return_immediately=gcp.on_emulator()) as lease:
                    messages, complete = peek(lease, limit=limit)
                summaries.append(summarize(short_name(path), messages, complete=complete))
            except Exception as exc:  # one unreadable subscription, or the caller refused
                if gcp.caller_refused(exc):
                    raise  # the credentials, not this subscription: said once (exit 2)
                summaries.append(Summary(short_name(path), problem=gcp.api_problem(exc)))
    finally:
        subscriber.transport.close()
    return summaries
