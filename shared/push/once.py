"""A pushed message's effect, once across instances and in the ERP's order.

:func:`once` wraps a push handler: the message id is claimed before the handler runs.

* a redelivery of a message whose effect was applied is acknowledged with the stored summary,
  ROIT not called (an INFO line with ``event=push_duplicate``, counted by a log metric);
* a message being applied elsewhere (a claim not yet past its invocation's deadline) is
  answered 503: Pub/Sub redelivers it later, and by then it is applied or its claim lapsed;
* a failed attempt leaves the claim free and keeps its progress (:class:`Effect`): a
  delivery's redelivery resumes after the last batch ROIT accepted.

:meth:`Effect.newest` keeps, per ROIT request id, the publish time of the newest status
applied: an older one arriving later is acknowledged, not applied (``event=status_out_of_order``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.core.errors import Failure, RoitError
from shared.core.logs import get_logger
from shared.idempotency.base import IdempotencyStore, invocation_end
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.records import Claim, ClaimState
from shared.push.envelope import PushMessage

__all__ = ["AppliedElsewhereError", "Effect", "message_key", "once"]

log = get_logger("idempotency.push")

Handler = Callable[[PushMessage, "Effect"], dict[str, Any]]


class AppliedElsewhereError(RoitError):
    """Another instance is applying this message now: retry later (503, ``busy``; not a
    store failure, which alerts)."""

    failure = Failure.BUSY


@dataclass(frozen=True)
class Effect:
    """The claim a handler works under: how far an earlier attempt got, and how to record."""

    store: IdempotencyStore
    claim: Claim | None  # None: no shared store, nothing is recorded (as before the store)
    keep_until: float

    @property
    def progress(self) -> int:
        """How far an earlier attempt of this message got (0 for a first one)."""
        return self.claim.progress if self.claim else 0

    def record(self, progress: int) -> None:
        """Record how far this attempt got (a delivery: the items ROIT accepted).

        Raises:
            StoreUnavailableError: the store failed (the message is then retried).
        """
        if self.claim is not None:
            self.store.record_progress(self.claim, progress)

    def newest(self, request_id: str, message: PushMessage) -> bool:
        """Whether ``message`` is the newest status for ``request_id`` applied so far (then
        recorded as such); False for an older one arriving after a newer one.

        Raises:
            StoreUnavailableError: the store failed.
        """
        if message.publish_time is None or self.claim is None:  # as before the store
            return True
        stamp = message.publish_time.timestamp()
        if self.store.advance(f"order/{request_id}", stamp, keep_until=self.keep_until):
            return True
        log.warning(
            "an older status arrived after a newer one was applied; acknowledged, not applied",
            extra={"fields": {"event": "status_out_of_order", "requestId": request_id}},
        )
        return False


def once(
    store: IdempotencyStore, scope: str, keep_s: float, handler: Handler
) -> Callable[[PushMessage], dict[str, Any]]:
    """``handler`` applied at most once per Pub/Sub message id of ``scope`` (the function),
    when ``store`` is shared; with the per-instance store, as without one.

    Args:
        keep_s: how long records live after the message was published (its largest age).
    """

    def run(message: PushMessage) -> dict[str, Any]:
        if not store.shared:  # per instance: the functions behave as they did without a store
            return handler(message, Effect(store, None, keep_until=0.0))
        claim = store.claim(message_key(scope, message), until=invocation_end(store.clock))
        if claim.state is ClaimState.COMPLETED:
            log.info(
                "redelivery of an applied message acknowledged without calling ROIT",
                extra={"fields": {"event": "push_duplicate"}},
            )
            return {**(claim.outcome or {}), "duplicate": True}
        if claim.state is ClaimState.IN_PROGRESS:
            raise AppliedElsewhereError("the message is being applied by another instance")
        published = message.publish_time.timestamp() if message.publish_time else store.clock()
        effect = Effect(store, claim, keep_until=max(published, store.clock()) + keep_s)
        try:
            result = handler(message, effect)
        except Exception as exc:
            _finish(store.fail, claim, {"error": type(exc).__name__}, effect.keep_until)
            raise
        _finish(store.complete, claim, result, effect.keep_until)
        return result

    return run


def message_key(scope: str, message: PushMessage) -> str:
    """The message id, with its publish time: a redelivery has both the same, while an id used
    again for another message (the emulator counts from 1 after a restart) has not."""
    published = f"@{message.publish_time.isoformat()}" if message.publish_time else ""
    return f"push/{scope}/{message.message_id}{published}"


def _finish(finish: Callable[..., bool], claim: Claim, outcome: Any, keep_until: float) -> None:
    try:
        finish(claim, outcome, keep_until=keep_until)
    except StoreUnavailableError as exc:  # the claim lapses at the invocation's end
        log.error(
            "the message's outcome could not be recorded; its claim lapses with the invocation",
            extra={"fields": {"event": "idempotency_record_lost", "reason": exc.message}},
        )
