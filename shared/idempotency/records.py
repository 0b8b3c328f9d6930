"""What the store keeps, and every decision about it, as pure functions of (record, now).

A record is a flat dict, the same in every backend (a Firestore document, a dict in memory):

``key``         the idempotency key, for people reading the store (the document id is its hash);
``state``       ``in_progress`` | ``completed`` | ``failed`` | ``order``;
``token``       who holds an ``in_progress`` claim (one random token per claim);
``expires_at``  a timezone-aware datetime: after it the record counts as absent (and
                Firestore's TTL policy deletes it some time later);
``outcome``     what a completed (or failed) attempt answered, JSON-able;
``progress``    how far a multi-step effect got (a delivery: the items ROIT accepted);
``newest``      for ``order`` records: the publish time (epoch seconds) of the newest applied.

A change is ``(record or None, now) -> (write, result)``: ``write`` is the new record,
:data:`DELETE`, or :data:`KEEP`. Backends only run a change atomically (:mod:`.base`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

__all__ = [
    "DELETE",
    "KEEP",
    "Change",
    "Claim",
    "ClaimState",
    "Record",
    "Write",
    "at",
    "decide_advance",
    "decide_claim",
    "decide_finish",
    "decide_forget",
    "decide_progress",
]

Record = dict[str, Any]


class _Keep:
    pass


class _Delete:
    pass


KEEP: Final = _Keep()
"""Leave the record as it is."""
DELETE: Final = _Delete()
"""Remove the record."""
Write = Record | _Keep | _Delete
T = TypeVar("T")
Change = Callable[[Record | None, datetime], tuple[Write, T]]
"""A read-modify-write of one record: ``(record, now) -> (write, result)``."""


class ClaimState(StrEnum):
    """What a claim found."""

    NEW = "new"  # the caller holds the key now and must finish or release it
    IN_PROGRESS = "in_progress"  # another attempt holds it, and its deadline has not passed
    COMPLETED = "completed"  # done before: ``outcome`` is what it answered


@dataclass(frozen=True)
class Claim:
    """The answer to a claim. For :attr:`ClaimState.NEW`, ``token`` proves ownership and
    ``progress`` is how far an earlier attempt got (0 for a first one)."""

    key: str
    state: ClaimState
    token: str = ""
    outcome: dict[str, Any] | None = None
    progress: int = 0


def at(epoch_s: float) -> datetime:
    """An epoch-seconds instant as the aware datetime records keep."""
    return datetime.fromtimestamp(epoch_s, UTC)


def _live(record: Record | None, now: datetime) -> bool:
    return record is not None and _aware(record["expires_at"]) > now


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def decide_claim(key: str, until: datetime) -> Change[Claim]:
    """The change that claims ``key`` until ``until`` (an in-progress claim's own expiry)."""

    def change(record: Record | None, now: datetime) -> tuple[Write, Claim]:
        if _live(record, now):
            assert record is not None
            if record["state"] == ClaimState.COMPLETED:
                return KEEP, Claim(key, ClaimState.COMPLETED, outcome=record.get("outcome"))
            if record["state"] == ClaimState.IN_PROGRESS:
                return KEEP, Claim(key, ClaimState.IN_PROGRESS)
        # absent, expired (a crashed attempt's claim lapses at its deadline), or failed:
        # taken over, keeping how far a failed or lapsed attempt got.
        progress = int(record.get("progress", 0)) if record and _resumable(record, now) else 0
        token = secrets.token_hex(16)
        new = {
            "key": key,
            "state": str(ClaimState.IN_PROGRESS),
            "token": token,
            "expires_at": until,
            "progress": progress,
            "outcome": None,
        }
        return new, Claim(key, ClaimState.NEW, token=token, progress=progress)

    return change


def _resumable(record: Record, now: datetime) -> bool:
    """A failed attempt's progress counts while its record lives; a lapsed in-progress claim's
    progress counts too (the items it recorded were accepted by ROIT)."""
    if record["state"] == "failed":
        return _live(record, now)
    return bool(record["state"] == ClaimState.IN_PROGRESS)


def _held(record: Record | None, token: str) -> bool:
    return (
        record is not None
        and record["state"] == ClaimState.IN_PROGRESS
        and (record.get("token") == token)
    )


def decide_progress(claim: Claim, progress: int) -> Change[bool]:
    """The change that records ``progress`` under ``claim`` (ignored if no longer held)."""

    def change(record: Record | None, now: datetime) -> tuple[Write, bool]:
        if not _held(record, claim.token):
            return KEEP, False
        assert record is not None
        return {**record, "progress": progress}, True

    return change


def decide_finish(
    claim: Claim, state: str, outcome: dict[str, Any] | None, keep_until: datetime
) -> Change[bool]:
    """The change that ends ``claim`` as ``completed`` or ``failed``, kept until
    ``keep_until``. Returns whether the claim was still held (a lapsed one was taken over)."""

    def change(record: Record | None, now: datetime) -> tuple[Write, bool]:
        if not _held(record, claim.token):
            return KEEP, False
        assert record is not None
        return {**record, "state": state, "outcome": outcome, "expires_at": keep_until}, True

    return change


def decide_forget(claim: Claim) -> Change[bool]:
    """The change that deletes ``claim``'s record if it still holds it (a lease's end)."""

    def change(record: Record | None, now: datetime) -> tuple[Write, bool]:
        if not _held(record, claim.token):
            return KEEP, False
        return DELETE, True

    return change


def decide_advance(key: str, stamp: float, keep_until: datetime) -> Change[bool]:
    """The change that moves ``key``'s newest applied publish time to ``stamp`` unless a newer
    one was applied; returns whether ``stamp`` may be applied (equal counts: a redelivery)."""

    def change(record: Record | None, now: datetime) -> tuple[Write, bool]:
        newest = float(record["newest"]) if _live(record, now) and record else None
        if newest is not None and stamp < newest:
            return KEEP, False
        kept = keep_until
        if record is not None and _live(record, now):
            kept = max(kept, _aware(record["expires_at"]))
        new = {"key": key, "state": "order", "newest": stamp, "expires_at": kept}
        return new, True

    return change
