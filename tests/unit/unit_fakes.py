"""In-process stand-ins for the unit tier: no process, no emulator, no sandbox, no sleep."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from shared.core.errors import Failure, PublishError
from shared.core.pubsub import message_problem

Message = tuple[bytes, Mapping[str, str]]


class CountingPublisher:
    """A publisher that records every publish request and fails on cue.

    Args:
        accept: how many messages the topic takes before it fails (``None``: never fails).
        topic_failure: what the topic fails with once ``accept`` is spent.
        refuse: messages Pub/Sub refuses as such (``failure`` INPUT), besides those
            :func:`shared.core.pubsub.message_problem` refuses.
    """

    def __init__(
        self,
        *,
        accept: int | None = None,
        topic_failure: Failure = Failure.PUBSUB,
        refuse: Callable[[bytes, Mapping[str, str]], bool] = lambda data, attributes: False,
    ) -> None:
        self.accept = accept
        self.topic_failure = topic_failure
        self.refuse = refuse
        self.calls: list[tuple[str, list[Message]]] = []
        self.published: list[tuple[str, bytes, dict[str, str]]] = []

    def publish_batch(self, topic: str, messages: Sequence[Message]) -> list[str]:
        self.calls.append((topic, list(messages)))
        if self.accept is not None and len(self.published) + len(messages) > self.accept:
            raise PublishError(f"topic {topic} failed", failure=self.topic_failure)
        for data, attributes in messages:
            if message_problem(data, attributes) or self.refuse(data, attributes):
                raise PublishError(f"a message for {topic} refused", failure=Failure.INPUT)
        ids = []
        for data, attributes in messages:
            self.published.append((topic, data, dict(attributes)))
            ids.append(f"id-{len(self.published)}")
        return ids

    def publish(self, topic: str, data: bytes, attributes: Mapping[str, str]) -> str:
        (message_id,) = self.publish_batch(topic, [(data, attributes)])
        return message_id
