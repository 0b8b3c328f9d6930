"""Where a dead letter goes back to.

The topic a message came from: the subscription it failed on (``CloudPubSubDeadLetterSource*``
or ``sourceSubscription``) -> that subscription's topic; else the dead-letter topic's name
(``X-dead-letter`` -> ``X``).
"""

from __future__ import annotations

from typing import Any

from roitctl.deadletters.lease import Received
from roitctl.deadletters.messages import source_subscription
from roitctl.layout import short_name, source_topic_of

__all__ = ["Targets"]


class Targets:
    """Where a dead letter goes back to (subscriptions looked up once each)."""

    def __init__(self, subscriber: Any, dead_letter_subscription: str, project: str) -> None:
        self._subscriber = subscriber
        self._project = project
        self._topics: dict[str, str | None] = {}
        dead_topic = self.topic_of(dead_letter_subscription, own=True)
        self.dead_letter_topic = dead_topic
        source = source_topic_of(short_name(dead_topic)) if dead_topic else None
        self._fallback = (
            f"{dead_topic.rsplit('/', 1)[0]}/{source}" if dead_topic and source else None
        )

    def topic_of(self, subscription: str, *, own: bool = False) -> str | None:
        """A subscription's topic (``None`` if it is gone, out of reach, or its topic is).

        Raises:
            google.api_core.exceptions.PermissionDenied: for the caller's ``own``
                subscription (the one it replays from): its credentials, not a lost source.
        """
        if subscription not in self._topics:
            from google.api_core import exceptions as gexc

            out_of_reach = (gexc.NotFound,) if own else (gexc.NotFound, gexc.PermissionDenied)
            try:
                found = self._subscriber.get_subscription(subscription=subscription, timeout=30)
                topic = str(found.topic)
            except out_of_reach:
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
