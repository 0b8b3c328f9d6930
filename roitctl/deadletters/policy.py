"""What a replay picks, and what it must leave in place and why (pure decisions).

Never replayed, left in place and reported: a message replayed ``max_replays`` times already
(so a loop is impossible), one whose source topic cannot be told or is a dead-letter topic,
a whole unreadable pending page, a stub standing for an entity too large to publish, one bound
for the pending topic without ``to_pending`` (the ERP may not read it either), and, unless
its code is named with ``--error``, one that can never succeed as it is: the message itself
was invalid (``invalid_message``), too old when it arrived (``too_old``), or ROIT gave its
verdict on it (``roit_rejected_<4xx>``) — see the failure table in docs/concepts.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from roitctl.deadletters.lease import Received
from roitctl.deadletters.messages import error_of, replay_count
from roitctl.layout import DEAD_LETTER_SUFFIX, short_name

__all__ = ["ReplayOptions", "refusal", "without_a_fix"]

_REJECTED = re.compile(r"^roit_rejected_4\d\d$")


@dataclass(frozen=True)
class ReplayOptions:
    """Which dead letters to replay, and how."""

    errors: frozenset[str] = frozenset()  # empty: every code that can succeed as it is
    older_than: timedelta | None = None
    newer_than: timedelta | None = None
    limit: int | None = None
    dry_run: bool = False
    max_replays: int = 3
    to_pending: bool = False
    batch_size: int = 50
    rate: float | None = None  # messages per second at most

    def selects(self, message: Received, now: datetime) -> bool:
        """Whether the filters pick ``message``."""
        if self.errors and error_of(message.attributes) not in self.errors:
            return False
        age = now - message.publish_time
        if self.older_than is not None and age < self.older_than:
            return False
        return self.newer_than is None or age <= self.newer_than


def without_a_fix(error: str) -> str:
    """Why a dead letter with ``error`` can never succeed as it is ('' when it may)."""
    if error == "invalid_message":
        return "the message itself is invalid: it fails the same way again"
    if error == "too_old":
        return "it was too old when it came (ROIT_MAX_MESSAGE_AGE_S): a stale change"
    if _REJECTED.match(error):
        return f"ROIT refused it ({error.rsplit('_', 1)[1]}): it refuses it again as it is"
    return ""


def refusal(
    message: Received, target: tuple[str | None, str], options: ReplayOptions, pending: str
) -> str:
    """Why ``message`` must stay in place ('' when it may be replayed to ``target``)."""
    if replay_count(message.attributes) >= options.max_replays:
        return f"replayed {replay_count(message.attributes)} times already (--max-replays)"
    topic, unknown = target
    if topic is None:
        return unknown
    if topic.endswith(DEAD_LETTER_SUFFIX):
        return f"its source {short_name(topic)} is a dead-letter topic"
    error = error_of(message.attributes)
    if error == "unreadable_page":
        return "a whole pending page, not one entity (read it with --show)"
    if _is_stub(message.data):
        return "a stub for an entity too large or not encodable: ask ROIT to reprocess it"
    if short_name(topic) == pending and not options.to_pending:
        return f"bound for the pending topic {pending}: only with --to-pending"
    if (why := without_a_fix(error)) and error not in options.errors:
        return f"{why}; once its cause is fixed, replay it with --error {error}"
    return ""


def _is_stub(data: bytes) -> bool:
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    return (
        isinstance(doc, dict)
        and doc.get("truncated") is True
        and set(doc)
        <= {
            "requestId",
            "truncated",
        }
    )
