"""A partner webhook's effect, once across instances: its ``webhook-id`` is claimed in the
store before ROIT is called.

* a claim held by an attempt in progress (on any instance) is a replay: 401;
* a completed id gets the stored answer (``Webhook-Replayed: true``), ROIT is not called;
* a failed attempt (a 5xx that invites the partner's retry, or a 4xx) leaves the id claimable
  again: the retry is processed;
* the record lives until the signed timestamp plus the tolerance (and a minute for clock skew
  between instances): a stamp dated ahead keeps it that much longer, never the arrival time.
  After that the timestamp check refuses the request anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import flask

from shared.core.errors import WebhookVerificationError
from shared.core.logs import get_logger
from shared.entry.failures import http_answer
from shared.entry.http import json_response
from shared.idempotency.base import IdempotencyStore, invocation_end
from shared.idempotency.exceptions import StoreUnavailableError
from shared.idempotency.records import ClaimState

__all__ = ["CLOCK_SKEW_S", "run_webhook_once"]

log = get_logger("idempotency.webhook")

CLOCK_SKEW_S = 60.0
"""Kept beyond a webhook's window: instances' clocks may differ by this much."""


def run_webhook_once(
    store: IdempotencyStore,
    webhook_id: str,
    stamp: datetime,
    tolerance_s: float,
    work: Callable[[], Any],
) -> Any:
    """Run ``work`` unless ``webhook_id`` was processed (or is being processed) already.

    Raises:
        WebhookVerificationError: an attempt with this id is in progress (a replay).
        StoreUnavailableError: the store failed before ROIT was called (fail closed: 503).
    """
    key = f"webhook/{webhook_id}"
    keep_until = stamp.timestamp() + tolerance_s + CLOCK_SKEW_S
    claim = store.claim(key, until=min(invocation_end(store.clock), keep_until))
    fields = {"event": "webhook_replay", "webhookId": webhook_id[:64]}
    if claim.state is ClaimState.IN_PROGRESS:
        log.warning("webhook replay refused: in progress", extra={"fields": fields})
        raise WebhookVerificationError("webhook-id was already received (replay)")
    if claim.state is ClaimState.COMPLETED:
        log.warning("webhook replay answered from the store", extra={"fields": fields})
        answer = (claim.outcome or {}).get("answer")
        return json_response(answer, headers={"Webhook-Replayed": "true"})
    try:
        result = work()
    except Exception as exc:
        _record(store.fail, claim, {"status": http_answer(exc).status}, keep_until)
        raise
    answer = result.get_json() if isinstance(result, flask.Response) else result
    _record(store.complete, claim, {"answer": answer}, keep_until)
    return result


def _record(finish: Callable[..., bool], claim: Any, outcome: Any, keep_until: float) -> None:
    """Record the outcome; if the store fails now, the answer still goes out (ROIT acted or
    not already), and the claim lapses at the invocation's end."""
    try:
        finish(claim, outcome, keep_until=keep_until)
    except StoreUnavailableError as exc:
        log.error(
            "the webhook's outcome could not be recorded; its claim lapses with the invocation",
            extra={"fields": {"event": "idempotency_record_lost", "reason": exc.message}},
        )
