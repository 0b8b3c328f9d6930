"""Walking the outer levels of a JSON text by hand, so that chosen values need not be built.

Two readers use it: a pending page keeps each item's own bytes (:mod:`shared.roit.pages`), and a
large push message is validated item by item without holding every item in memory at once
(:func:`shared.core.inputs.read_object`). Inside a value, the standard library's C scanner does the
parsing; only the envelope around it is walked here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["Scanner", "json_values", "scanner", "skip", "walk_array", "walk_object"]

Scanner = Callable[[str, int], tuple[Any, int]]
"""``scan(text, index) -> (value, end)``: parses one JSON value (raises ``StopIteration`` /
``ValueError`` on invalid JSON)."""

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def json_values(body: bytes) -> int:
    """At least the number of values parsing ``body`` as JSON would create (every value but
    the outermost follows a ``[``, a ``{`` or a ``,``; the same bytes in strings only add)."""
    return 1 + body.count(b",") + body.count(b"[") + body.count(b"{")


def scanner(decoder: json.JSONDecoder) -> Scanner:
    """The C scanner of ``decoder`` (the one ``json.loads`` uses; absent from the type stubs)."""
    scan: Scanner = decoder.scan_once  # type: ignore[attr-defined]
    return scan


def skip(text: str, index: int) -> int:
    """The index of the next non-whitespace character."""
    match = _WHITESPACE.match(text, index)
    return match.end() if match else index


def walk_object(text: str, index: int, member: Callable[[str, int], int]) -> int:
    """Walk the members of the object whose ``{`` is just before ``index``.

    ``member(key, value_index)`` handles one member and returns the index after its value.

    Returns:
        The index after the closing ``}``.

    Raises:
        ValueError: not a well-formed object.
    """
    index = skip(text, index)
    if text[index : index + 1] == "}":
        return index + 1
    while True:
        if text[index : index + 1] != '"':
            raise ValueError("expected a key")
        key, index = _string(text, index + 1)
        index = skip(text, index)
        if text[index : index + 1] != ":":
            raise ValueError("expected ':'")
        index = skip(text, member(key, skip(text, index + 1)))
        separator = text[index : index + 1]
        if separator == "}":
            return index + 1
        if separator != ",":
            raise ValueError("expected ',' or '}'")
        index = skip(text, index + 1)


def walk_array(text: str, index: int, item: Callable[[int], int]) -> int:
    """Walk the items of the array whose ``[`` is just before ``index``.

    ``item(start)`` handles one item starting at ``start`` and returns the index after it.

    Returns:
        The index after the closing ``]``.

    Raises:
        ValueError: not a well-formed array.
    """
    index = skip(text, index)
    if text[index : index + 1] == "]":
        return index + 1
    while True:
        index = skip(text, item(skip(text, index)))
        separator = text[index : index + 1]
        if separator == "]":
            return index + 1
        if separator != ",":
            raise ValueError("expected ',' or ']'")
        index += 1
