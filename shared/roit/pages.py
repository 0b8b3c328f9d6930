"""A pending page read once: each item parsed, and each item's own bytes as ROIT sent them.

The poller forwards every entity exactly as ROIT sent it. Rather than parse the page and then
encode each entity again, the page is parsed once, here, by the standard library's C scanner
one item at a time, and each item's span of the answer is kept: the message data is that span,
byte for byte (key order, spacing and escapes included).

Only the envelope around the list is walked in Python (the shapes
:func:`shared.roit.models.unwrap_list` accepts: a bare list, ``{"data": [...]}`` with ``status`` /
``timestamp``, or a paging object holding the list under ``items`` / ``content`` …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared.core.errors import MalformedResponseError
from shared.core.jsonwalk import scanner, skip, walk_array, walk_object
from shared.roit.models import unwrap_list

__all__ = ["Page", "read_page"]

_ENVELOPE_DEPTH = 2  # an envelope, then a paging object; the items' list at most one deeper


@dataclass(frozen=True)
class Page:
    """A pending answer: as parsed, and its items each with their own bytes (``None`` for an
    item that is not valid JSON as sent: it holds ``NaN`` or ``Infinity``).

    ``items`` is ``None`` when the answer holds no list where the items should be; ``problem``
    then says why (the poller keeps such an answer whole in the dead-letter topic).
    """

    answer: Any
    items: list[tuple[Any, bytes | None]] | None
    problem: str | None = None


class _Reader:
    """Parses an answer; remembers the span of every item of the lists it walks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, list[tuple[int, int] | None]] = {}
        self.constants = 0  # NaN / Infinity seen: Python reads them, but they are not JSON
        self.scan = scanner(json.JSONDecoder(parse_constant=self._constant))

    def _constant(self, name: str) -> float:
        self.constants += 1
        return float(name.replace("Infinity", "inf"))

    def value(self, index: int, depth: int) -> tuple[Any, int]:
        head = self.text[index : index + 1]
        if head == "{" and depth < _ENVELOPE_DEPTH:
            result: dict[str, Any] = {}

            def member(key: str, at: int) -> int:
                result[key], end = self.value(at, depth + 1)
                return end

            return result, walk_object(self.text, index + 1, member)
        if head == "[" and depth <= _ENVELOPE_DEPTH:
            items: list[Any] = []
            spans: list[tuple[int, int] | None] = []
            self.spans[id(items)] = spans

            def item(start: int) -> int:
                seen = self.constants
                value, end = self.scan(self.text, start)
                items.append(value)
                spans.append((start, end) if self.constants == seen else None)
                return end

            return items, walk_array(self.text, index + 1, item)
        return self.scan(self.text, index)


def read_page(body: bytes, endpoint: str = "pending") -> Page:
    """Parse a pending answer.

    Raises:
        MalformedResponseError: not UTF-8 JSON, or nested deeper than the parser follows.
    """
    try:
        text = body.decode("utf-8")
        reader = _Reader(text)
        answer, end = reader.value(skip(text, 0), 0)
        if skip(text, end) != len(text):
            raise ValueError("extra data after the answer")
    except (ValueError, StopIteration, RecursionError, UnicodeDecodeError):
        raise MalformedResponseError(f"ROIT answered {endpoint} with a non-JSON body") from None
    try:
        items = unwrap_list(answer)
    except MalformedResponseError as exc:
        return Page(answer, None, exc.message)
    spans = reader.spans.get(id(items), [])
    raw = [
        (item, None if span is None else text[span[0] : span[1]].encode())
        for item, span in zip(items, spans, strict=True)
    ]
    return Page(answer, raw)
