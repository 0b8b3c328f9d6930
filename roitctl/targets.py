"""Where a dead letter goes back to, and what must never be replayed.

The topic a message came from: the subscription it failed on (``CloudPubSubDeadLetterSource*``
or ``sourceSubscription``) -> that subscription's topic; else the dead-letter topic's name
(``X-dead-letter`` -> ``X``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from roitctl.deadletters import error_of, replay_count, source_subscription
from roitctl.layout import DEAD_LETTER_SUFFIX, short_name, source_topic_of
from roitctl.lease import Received

if TYPE_CHECKING:
    from roitctl.replay import ReplayOptions

__all__ = ["Targets", "refusal"]


class Targets:
    """Where a dead letter goes back to (subscriptions looked up once each)."""

    def __init__(self, subscriber: Any, dead_letter_subscription: str, project: str) -> None:
        self._subscriber = subscriber
        self._project = project
        self._topics: dict[str, str | None] = {}
        dead_topic = self.topic_of(dead_letter_subscription)
        self.dead_letter_topic = dead_topic
        source = source_topic_of(short_name(dead_topic)) if dead_topic else None
        self._fallback = (
            f"{dead_topic.rsplit('/', 1)[0]}/{source}" if dead_topic and source else None
        )

    def topic_of(self, subscription: str) -> str | None:
        """A subscription's topic (``None`` if it is gone, out of reach, or its topic is)."""
        if subscription not in self._topics:
            from google.api_core import exceptions as gexc

            try:
                found = self._subscriber.get_subscription(subscription=subscription, timeout=30)
                topic = str(found.topic)
            except (gexc.NotFound, gexc.PermissionDenied):
                topic = ""
            self._topics[subscription] = topic if topic.startswith("projects/") else None
        return self._topics[subscription]

    def for_message(self, message: Received) -> tuple[str | None, str]:
        """The topic ``message`` came from, or ``None`` and why it cannot be told.

        A source subscription whose topic is not the one the dead-letter topic is named after
        (an attribute set by a publisher, or a wiring unlike Terraform's) is not trusted.
        """
        source = source_subscription(message.attributes, self._project)
        topic = self.topic_of(source) if source else None
        if topic and self._fallback and topic != self._fallback:
            return None, (
                f"its source subscription is on {short_name(topic)}, but it was dead-lettered "
                f"for {short_name(self._fallback)}"
            )
        if topic or self._fallback:
            return topic or self._fallback, ""
        return None, "its source topic is unknown (no source subscription, not X-dead-letter)"


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
