"""A topic family of its own per test on the session's Pub/Sub emulator (``load``, its
``load-sub``, ``load-dead-letter`` and ``load-dead-letter-sub``), and what each test reads
from it (the fixture is ``family``, in ``conftest.py``)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from roitctl_helpers import pull, run_cli


@dataclass
class Family:
    project: str
    host: str
    publisher: Any
    subscriber: Any

    def topic(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def sub(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"

    def create(self, topic: str, subscription: str) -> None:
        self.publisher.create_topic(name=self.topic(topic))
        self.subscriber.create_subscription(
            request={"name": self.sub(subscription), "topic": self.topic(topic),
                     "ack_deadline_seconds": 10}
        )  # fmt: skip

    def env(self) -> dict[str, str]:
        return {"PUBSUB_EMULATOR_HOST": self.host, "ROIT_GCP_PROJECT": self.project}

    def dead_letters(self, count: int, *, mixed: bool = False) -> list[str]:
        """``count`` dead letters of ``load-sub``, numbered by their ``seq`` attribute: moved
        by Pub/Sub after the delivery attempts ran out (replayed by default); with ``mixed``,
        every third one (0, 3, 6 …) ``invalid_message`` instead (replayed only on purpose)."""
        futures = [
            self.publisher.publish(
                self.topic("load-dead-letter"),
                json.dumps({"n": n}).encode(),
                seq=str(n),
                **(self._invalid() if mixed and n % 3 == 0 else self._exhausted()),
            )
            for n in range(count)
        ]
        return [f.result(30) for f in futures]

    def _exhausted(self) -> dict[str, str]:
        return {
            "CloudPubSubDeadLetterSourceSubscription": "load-sub",
            "CloudPubSubDeadLetterSourceDeliveryCount": "5",
        }

    def _invalid(self) -> dict[str, str]:
        return {
            "error": "invalid_message",
            "reason": "test",
            "sourceSubscription": self.sub("load-sub"),
        }

    def observed(self, subscription: str = "load-sub") -> list[str]:
        """The ``seq`` of every replayed copy that arrived (acknowledged)."""
        return [m.attributes["seq"] for m in pull(self.subscriber, self.sub(subscription), None, 2)]

    def left(self) -> int:
        for name, value in self.env().items():
            os.environ[name] = value
        result = run_cli("dead-letters", "list", "load-dead-letter-sub", "--json")
        return int(result.json()["subscriptions"][0]["count"])

    def left_settles(self, expected: int, within_s: float) -> int:
        """What ``dead-letters list`` counts, asked again until it is ``expected`` or time is
        up: a message given back is listed at once, one still held only after its lease."""
        deadline = time.monotonic() + within_s
        count = self.left()
        while count != expected and time.monotonic() < deadline:
            count = self.left()
        return count
