"""A topic the poller writes to: many messages in as few publish requests as Pub/Sub allows,
one outcome per message (its id, or why it is not on the topic).

A request Pub/Sub refuses because of its messages is split until the refused message stands
alone, so one bad message never takes the others down with it. Once the topic itself fails
(missing, forbidden, unavailable), nothing more is sent and every message left gets that error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from shared.core.errors import Failure, PublishError
from shared.core.pubsub import MAX_MESSAGE_BYTES, MAX_REQUEST_MESSAGES, Publisher, message_size

__all__ = ["Sent", "Sink", "chunks"]

Sent: TypeAlias = str | PublishError
"""A message id, or the error that kept the message off the topic."""

Message: TypeAlias = tuple[bytes, dict[str, str]]


def chunks(
    sizes: Sequence[int],
    *,
    max_messages: int = MAX_REQUEST_MESSAGES,
    max_bytes: int = MAX_MESSAGE_BYTES,
) -> list[range]:
    """Consecutive index ranges, each within Pub/Sub's limits for one request (pure)."""
    result: list[range] = []
    start, total = 0, 0
    for index, size in enumerate(sizes):
        if index > start and (index - start >= max_messages or total + size > max_bytes):
            result.append(range(start, index))
            start, total = index, 0
        total += size
    if start < len(sizes):
        result.append(range(start, len(sizes)))
    return result


class Sink:
    """Publishes to one topic and says what happened to each message."""

    def __init__(self, publisher: Publisher, topic: str) -> None:
        self.publisher = publisher
        self.topic = topic

    def send(self, messages: Sequence[Message]) -> list[Sent]:
        """Publish ``messages``; returns one outcome per message, in order."""
        outcomes: list[Sent | None] = [None] * len(messages)
        sizes = [message_size(data, attributes) for data, attributes in messages]
        broken: PublishError | None = None
        for indices in chunks(sizes):
            if broken is None:
                broken = self._send(list(indices), messages, outcomes)
            if broken is not None:
                for index in indices:
                    outcomes[index] = outcomes[index] or broken
        assert all(outcome is not None for outcome in outcomes)  # every index is decided above
        return [outcome for outcome in outcomes if outcome is not None]

    def _send(
        self, indices: list[int], messages: Sequence[Message], outcomes: list[Sent | None]
    ) -> PublishError | None:
        """Publish ``indices``; returns the topic's error if the topic failed."""
        try:
            ids = self.publisher.publish_batch(self.topic, [messages[i] for i in indices])
        except PublishError as exc:
            if exc.failure is not Failure.INPUT:
                return exc
            if len(indices) == 1:
                outcomes[indices[0]] = exc
                return None
            middle = len(indices) // 2
            return self._send(indices[:middle], messages, outcomes) or self._send(
                indices[middle:], messages, outcomes
            )
        for index, message_id in zip(indices, ids, strict=True):
            outcomes[index] = message_id
        return None
