"""The deployment's Pub/Sub names, as ``terraform/pubsub.tf`` (and ``devstack/stack/wiring.py``)
create them: three topics, each with a ``-dead-letter`` topic and its ``-dead-letter-sub``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEAD_LETTER_SUFFIX",
    "PENDING_TOPIC",
    "SOURCE_SUBSCRIPTIONS",
    "TOPICS",
    "Layout",
    "dead_letter_subscription",
    "dead_letter_topic",
    "short_name",
    "source_topic_of",
]

PENDING_TOPIC = "roit-pending"
TOPICS = (PENDING_TOPIC, "roit-status", "roit-deliveries")
SOURCE_SUBSCRIPTIONS = {
    "roit-pending": "roit-pending-erp",
    "roit-status": "roit-status-push",
    "roit-deliveries": "roit-deliveries-push",
}
"""Each topic's own subscription (the ERP's pull, the functions' push); each has a
dead-letter policy pointing at the topic's dead-letter topic."""

DEAD_LETTER_SUFFIX = "-dead-letter"


def dead_letter_topic(topic: str) -> str:
    """``roit-status`` -> ``roit-status-dead-letter``."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def dead_letter_subscription(topic: str) -> str:
    """``roit-status`` -> ``roit-status-dead-letter-sub``."""
    return f"{topic}{DEAD_LETTER_SUFFIX}-sub"


def short_name(path: str) -> str:
    """The last segment of a resource name (``projects/P/topics/T`` -> ``T``)."""
    return path.rsplit("/", 1)[-1]


def source_topic_of(dead_letter_topic_id: str) -> str | None:
    """``roit-status-dead-letter`` -> ``roit-status``; ``None`` for any other name."""
    if dead_letter_topic_id.endswith(DEAD_LETTER_SUFFIX):
        source = dead_letter_topic_id[: -len(DEAD_LETTER_SUFFIX)]
        return source or None
    return None


@dataclass(frozen=True)
class Layout:
    """The names in one project."""

    project: str

    def topic(self, topic: str) -> str:
        """``projects/P/topics/T`` for an id (a full path is kept)."""
        return topic if topic.startswith("projects/") else f"projects/{self.project}/topics/{topic}"

    def subscription(self, subscription: str) -> str:
        """``projects/P/subscriptions/S`` for an id (a full path is kept)."""
        if subscription.startswith("projects/"):
            return subscription
        return f"projects/{self.project}/subscriptions/{subscription}"

    def topics(self) -> list[str]:
        """Every topic: the three and their dead-letter topics."""
        return [t for topic in TOPICS for t in (topic, dead_letter_topic(topic))]

    def subscriptions(self) -> list[str]:
        """The three topics' own subscriptions."""
        return [SOURCE_SUBSCRIPTIONS[topic] for topic in TOPICS]

    def wiring(self) -> list[tuple[str, str, str | None]]:
        """Each subscription, its topic and the dead-letter topic its policy must name."""
        pairs: list[tuple[str, str, str | None]] = []
        for topic in TOPICS:
            pairs.append((SOURCE_SUBSCRIPTIONS[topic], topic, dead_letter_topic(topic)))
            pairs.append((dead_letter_subscription(topic), dead_letter_topic(topic), None))
        return pairs

    def dead_letter_subscriptions(self) -> list[str]:
        """The three dead-letter subscriptions."""
        return [dead_letter_subscription(topic) for topic in TOPICS]
