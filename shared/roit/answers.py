"""Does a 2xx answer say ROIT did what was asked? A minimal check of ROIT's success envelope.

ROIT answers ``{timestamp, status, message, data}`` (contract §6 and §8, confirmed for the
status update and reprocess; the sandbox answers every call so). A proxy in front of ROIT, or
a ROIT misbehaving, may answer 2xx with something else: an HTML page, an empty body, an error
envelope. None of those says anything was recorded, so none is a success: each is a
:class:`~shared.core.errors.MalformedResponseError` (ROIT failing: retried, never acknowledged).

Two stances, by what the contract confirms:

* **record** calls (status update, reprocess): the answer must be a JSON object holding
  ``data`` and ``status`` or ``timestamp``, whose ``status`` (when a string) is not an error;
* every other call (pending, attachments, delivery: their answers are unconfirmed, and a bare
  body is tolerated): a JSON object must not carry an error ``status``.

The status update's answer repeats whatever ``metadata`` was sent (up to many MiB), and is not
needed: only its first :data:`HEAD_BYTES` are kept (:func:`read_head`) and checked, member by
member, as far as they go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from shared.core.errors import MalformedResponseError
from shared.core.jsonwalk import scanner, skip, walk_object
from shared.roit._decoding import _Inflater

__all__ = ["HEAD_BYTES", "check_record_head", "check_success", "read_head"]

HEAD_BYTES = 64 * 1024
"""How much of an unneeded answer is kept to judge it (ROIT's envelope keys come first)."""

_ERROR_STATUSES = frozenset({"error", "fail", "failed", "failure", "erro", "falha"})
_SCAN = scanner(json.JSONDecoder())


class _Truncated(Exception):
    """The head ends inside a value: what was seen so far is all there is."""


def _error_status(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in _ERROR_STATUSES


def check_success(answer: Any, endpoint: str) -> None:
    """Raises: MalformedResponseError when a parsed answer is an error envelope."""
    if isinstance(answer, dict) and _error_status(answer.get("status")):
        raise MalformedResponseError(f"ROIT answered {endpoint} 2xx with an error envelope")


def check_record_head(head: bytes, endpoint: str, *, complete: bool) -> None:
    """Check the (first bytes of the) answer to a record call is ROIT's success envelope.

    ``complete`` says ``head`` is the whole answer; otherwise the members that begin within it
    are judged (a key seen counts as present even when its value runs past the head).

    Raises:
        MalformedResponseError: not a JSON object, not the envelope, or an error status.
    """
    bad = MalformedResponseError(f"ROIT answered {endpoint} 2xx without its success envelope")
    try:
        text = head.decode("utf-8") if complete else head.decode("utf-8", "ignore")
    except UnicodeDecodeError:
        raise bad from None
    text = text.removeprefix("\ufeff")
    start = skip(text, 0)
    if text[start : start + 1] != "{":
        raise bad
    seen: dict[str, Any] = {}

    def member(key: str, at: int) -> int:
        seen[key] = None
        try:
            seen[key], end = _SCAN(text, at)
        except (StopIteration, ValueError, RecursionError):
            if complete:
                raise ValueError("unreadable value") from None
            raise _Truncated from None
        return end

    try:
        end = walk_object(text, start + 1, member)
        if complete and skip(text, end) != len(text):
            raise bad
    except _Truncated:
        pass
    except ValueError:
        if complete:  # a cut head ends anywhere: what it held so far is judged
            raise bad from None
    if "data" not in seen or not ({"status", "timestamp"} & seen.keys()):
        raise bad
    if _error_status(seen.get("status")):
        raise MalformedResponseError(f"ROIT answered {endpoint} 2xx with an error envelope")


def read_head(
    chunks: Iterator[bytes], encoding: str, cap: int, keep: int = HEAD_BYTES
) -> tuple[bytes, bool]:
    """The first ``keep`` decoded bytes of an answer, and whether that is all of it; the rest
    is read and dropped, up to ``cap`` raw bytes (a longer answer is cut: the connection
    closes). Never holds more than ``keep`` bytes of it.

    Raises:
        zlib.error: a corrupt compressed body (the caller names it).
    """
    head = bytearray()
    inflater = None if encoding in ("", "identity") else _Inflater(encoding)
    complete = True
    seen = 0
    for chunk in chunks:
        seen += len(chunk)
        if complete:
            room = keep - len(head)
            piece = chunk if inflater is None else inflater.feed(chunk, room)
            if len(piece) > room:
                complete = False
                piece = piece[:room]
            head += piece
        if seen > cap:  # the rest is not read: the connection closes
            return bytes(head), False
    return bytes(head), complete
