"""A pending page read once: each item parsed, and each item's own bytes as ROIT sent them.

The poller forwards every entity exactly as ROIT sent it. Rather than parse the page and then
encode each entity again, the page is parsed once, here, by the standard library's C scanner
one item at a time, and each item's span of the answer is kept: the message data is that span,
byte for byte (key order, spacing and escapes included).

Only the envelope around the list is walked in Python (the shapes :func:`shared.models.unwrap_list`
accepts: a bare list, ``{"data": [...]}`` with ``status`` / ``timestamp``, or a paging object
holding the list under ``items`` / ``content`` …); everything inside an item is the C scanner's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.errors import MalformedResponseError
from shared.models import unwrap_list

__all__ = ["Page", "read_page"]

_WHITESPACE = re.compile(r"[ \t\n\r]*")
# The standard library's C scanner (the one json.loads uses; not in the type stubs).
_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
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
    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, list[tuple[int, int] | None]] = {}
        self.constants = 0  # NaN / Infinity seen: Python reads them, but they are not JSON
        decoder = json.JSONDecoder(parse_constant=self._constant)
        self.scan: Callable[[str, int], tuple[Any, int]] = decoder.scan_once  # type: ignore[attr-defined]

    def _constant(self, name: str) -> float:
        self.constants += 1
        return float(name.replace("Infinity", "inf"))

    def skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return match.end() if match else index

    def value(self, index: int, depth: int) -> tuple[Any, int]:
        index = self.skip(index)
        head = self.text[index : index + 1]
        if head == "{" and depth < _ENVELOPE_DEPTH:
            return self.object(index + 1, depth)
        if head == "[" and depth <= _ENVELOPE_DEPTH:
            return self.array(index + 1)
        return self.scan(self.text, index)

    def object(self, index: int, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        index = self.skip(index)
        if self.text[index : index + 1] == "}":
            return result, index + 1
        while True:
            if self.text[index : index + 1] != '"':
                raise ValueError("expected a key")
            key, index = _string(self.text, index + 1)
            index = self.skip(index)
            if self.text[index : index + 1] != ":":
                raise ValueError("expected ':'")
            result[key], index = self.value(index + 1, depth + 1)
            index = self.skip(index)
            separator = self.text[index : index + 1]
            if separator == "}":
                return result, index + 1
            if separator != ",":
                raise ValueError("expected ',' or '}'")
            index = self.skip(index + 1)

    def array(self, index: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        spans: list[tuple[int, int] | None] = []
        self.spans[id(items)] = spans
        index = self.skip(index)
        if self.text[index : index + 1] == "]":
            return items, index + 1
        while True:
            start, seen = self.skip(index), self.constants
            item, index = self.scan(self.text, start)
            items.append(item)
            spans.append((start, index) if self.constants == seen else None)
            index = self.skip(index)
            separator = self.text[index : index + 1]
            if separator == "]":
                return items, index + 1
            if separator != ",":
                raise ValueError("expected ',' or ']'")
            index += 1


def read_page(body: bytes, endpoint: str = "pending") -> Page:
    """Parse a pending answer.

    Raises:
        MalformedResponseError: not UTF-8 JSON, or nested deeper than the parser follows.
    """
    try:
        text = body.decode("utf-8")
        reader = _Reader(text)
        answer, end = reader.value(0, 0)
        if reader.skip(end) != len(text):
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
