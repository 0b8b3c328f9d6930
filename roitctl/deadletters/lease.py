"""Messages pulled from one subscription and held, never acknowledged unless told to.

A :class:`Lease` pulls with a synchronous pull and sets each message's ack deadline to its
own lease, so a message it holds is not handed out again while it works; :meth:`Lease.ack`
acknowledges, :meth:`Lease.release` gives messages back at once (ack deadline 0). Leaving the
``with`` block for any reason (done, Ctrl-C, an error) releases everything still held; after
a crash, Pub/Sub hands them out again once their lease ends.

A pull is never cut by Ctrl-C (:func:`~roitctl.deadletters.interrupts.held`): what Pub/Sub
handed out is held, hence given back, before the interrupt is raised. Cut, its answer would
be lost, and its messages out of reach until Pub/Sub's own ack deadline.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from roitctl.deadletters import interrupts

__all__ = ["MAX_ACK_DEADLINE_S", "Lease", "Received"]

MAX_ACK_DEADLINE_S = 600
_ACK_BATCH = 1000  # ack ids per request, well inside Pub/Sub's request size
_CALL_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Received:
    """One pulled message."""

    ack_id: str = field(repr=False)
    message_id: str
    data: bytes = field(repr=False)
    attributes: dict[str, str]
    publish_time: datetime


class Lease:
    """Holds what it pulls from ``subscription`` until acknowledged or released.

    Args:
        subscriber: a GAPIC ``SubscriberClient``.
        subscription: ``projects/P/subscriptions/S``.
        ack_deadline_s: each message's lease, renewed by :meth:`keep_alive` (10 - 600).
        return_immediately: an empty pull answers at once (the emulator); otherwise it waits
            up to ``wait_s`` for messages (Pub/Sub).
        wait_s: how long one pull may wait.
    """

    def __init__(
        self,
        subscriber: Any,
        subscription: str,
        *,
        ack_deadline_s: int = 60,
        return_immediately: bool = False,
        wait_s: float = 5.0,
    ) -> None:
        self.subscriber = subscriber
        self.subscription = subscription
        self.ack_deadline_s = max(10, min(MAX_ACK_DEADLINE_S, ack_deadline_s))
        self._return_immediately = return_immediately
        self._wait_s = wait_s
        self._held: dict[str, tuple[str, float]] = {}  # message id -> (ack id, lease end)

    @property
    def held(self) -> int:
        """How many messages are held now."""
        return len(self._held)

    def pull(self, max_messages: int) -> list[Received]:
        """Up to ``max_messages`` messages not held yet (fewer, or none, when Pub/Sub has
        none to hand out now); each is held from now on."""
        from google.api_core.exceptions import DeadlineExceeded

        request = {
            "subscription": self.subscription,
            "max_messages": max(1, min(1000, max_messages)),
            "return_immediately": self._return_immediately,
        }
        timeout = _CALL_TIMEOUT_S if self._return_immediately else self._wait_s
        with interrupts.held():  # answered means handed out: held before Ctrl-C is raised
            try:
                response = self.subscriber.pull(request=request, timeout=timeout, retry=None)
            except DeadlineExceeded:
                return []
            received = [_received(m) for m in response.received_messages]
            ends = time.monotonic() + self.ack_deadline_s
            for message in received:
                self._held[message.message_id] = (message.ack_id, ends)
        if received:  # held already: given back on the way out even if this fails
            self._set_deadline([r.ack_id for r in received], self.ack_deadline_s)
        return received

    def keep_alive(self) -> None:
        """Renew the lease of every held message whose lease is half gone."""
        now = time.monotonic()
        due = [ack for ack, ends in self._held.values() if ends - now < self.ack_deadline_s / 2]
        if not due:
            return
        self._set_deadline(due, self.ack_deadline_s)
        ends = time.monotonic() + self.ack_deadline_s
        renewed = set(due)
        for message_id, (ack_id, old) in list(self._held.items()):
            self._held[message_id] = (ack_id, ends if ack_id in renewed else old)

    def ack(self, messages: Iterable[Received]) -> None:
        """Acknowledge: Pub/Sub drops them for good.

        Raises:
            google.api_core.exceptions.GoogleAPICallError: the acknowledgement failed (the
                messages stay held, and come back once released or their lease ends).
        """
        chosen = list(messages)
        ack_ids = [m.ack_id for m in chosen]
        for start in range(0, len(ack_ids), _ACK_BATCH):
            self.subscriber.acknowledge(
                request={
                    "subscription": self.subscription,
                    "ack_ids": ack_ids[start : start + _ACK_BATCH],
                },
                timeout=_CALL_TIMEOUT_S,
            )
        for message in chosen:
            self._held.pop(message.message_id, None)

    def release(self, messages: Iterable[Received] | None = None) -> None:
        """Give messages back to Pub/Sub at once (all held ones by default)."""
        if messages is None:
            ack_ids = [ack for ack, _ in self._held.values()]
            self._held.clear()
        else:
            chosen = [m for m in messages if m.message_id in self._held]
            ack_ids = [self._held.pop(m.message_id)[0] for m in chosen]
        if ack_ids:
            self._set_deadline(ack_ids, 0)

    def _set_deadline(self, ack_ids: Sequence[str], seconds: int) -> None:
        for start in range(0, len(ack_ids), _ACK_BATCH):
            self.subscriber.modify_ack_deadline(
                request={
                    "subscription": self.subscription,
                    "ack_ids": list(ack_ids[start : start + _ACK_BATCH]),
                    "ack_deadline_seconds": seconds,
                },
                timeout=_CALL_TIMEOUT_S,
            )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # a second Ctrl-C waits for the release; their lease ends anyway; keep the first error
        with interrupts.held(), contextlib.suppress(Exception):
            self.release()


def _received(pulled: Any) -> Received:
    message = pulled.message
    published = message.publish_time
    if not isinstance(published, datetime):
        published = datetime.fromtimestamp(0, UTC)
    elif published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    return Received(
        ack_id=str(pulled.ack_id),
        message_id=str(message.message_id),
        data=bytes(message.data),
        attributes={str(k): str(v) for k, v in message.attributes.items()},
        publish_time=published,
    )
