"""Finding the connector's secrets in any text, in whatever encoding they travel, in linear time.

A secret echoed by ROIT may come back base64-encoded (standard or URL-safe, padded or not,
and at any alignment inside a longer base64 value such as a Basic ``id:secret``),
URL-encoded, HTML-escaped, JSON-escaped, as hex, upper- or lower-cased, split across lines,
or only in part. :class:`Redactor` knows every registered secret in each of those encodings
and finds them all in one pass:

* text and encodings are compared **without whitespace** and **ASCII case-folded**, so a
  secret split across lines, or upper-cased, is still the same string of characters;
* any :data:`WINDOW` characters in a row of an encoding is a hit (so a long prefix, or any
  long substring, of a secret is found), found by sliding one window over the text and
  looking it up in a set: one step per character, whatever the text holds;
* an encoding shorter than a window is looked for whole (``str.find``, linear).

The hits are merged into spans of the original text, which are replaced.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
from bisect import bisect_right
from collections import deque
from urllib.parse import quote, quote_plus

__all__ = ["WINDOW", "Redactor", "encodings"]

WINDOW = 12
"""The fewest characters in a row of a secret's encoding that count as showing it."""

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WORD = re.compile(r"\S+")
_SPACE = re.compile(r"\s+")


def _fold(text: str) -> str:
    return _SPACE.sub("", text).translate(_ASCII_FOLD)


def _base64_cores(data: bytes) -> set[str]:
    """``data`` in base64 (and base64url) at each of the three alignments it can take inside a
    longer value, without the characters its neighbours would change."""
    cores: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode()
        head = 4 if shift else 0  # the group that holds the neighbour's bytes
        tail = len(encoded) - ((len(data) + shift) % 3 and 4)
        for text in (encoded, encoded.replace("+", "-").replace("/", "_")):
            cores.add(text if not shift and tail == len(encoded) else text[head:tail])
            if not shift:
                cores.add(text)
                cores.add(text.rstrip("="))
    return {core for core in cores if core}


def encodings(secret: str) -> set[str]:
    """The forms ``secret`` commonly travels in (before folding)."""
    data = secret.encode("utf-8")
    forms = {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        "".join(f"&#{ord(c)};" if not c.isalnum() else c for c in secret),
        "".join(f"&#x{ord(c):x};" if not c.isalnum() else c for c in secret),
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        data.hex(),
        *_base64_cores(data),
    }
    return {form for form in forms if form}


class Redactor:
    """The secrets to hide, in every encoding.

    Args:
        min_length: secrets shorter than this are not registered (too many false hits).
        capacity: how many secrets are remembered (the oldest forgotten first).
    """

    def __init__(self, *, min_length: int = 6, capacity: int = 64) -> None:
        self._min_length = min_length
        self._secrets: deque[str] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._windows: frozenset[str] = frozenset()
        self._short: tuple[str, ...] = ()
        self.steps = 0  # window look-ups so far: the work done, one per character of text

    def register(self, secret: str | None) -> None:
        """Remember ``secret`` (again: it stays among the last forgotten)."""
        if not secret or len(secret) < self._min_length:
            return
        with self._lock:
            if secret in self._secrets:
                self._secrets.remove(secret)
                self._secrets.append(secret)
                return
            self._secrets.append(secret)
            windows: set[str] = set()
            short: set[str] = set()
            for known in self._secrets:
                for form in map(_fold, encodings(known)):
                    if len(form) < WINDOW:
                        short.add(form)
                    else:
                        windows.update(form[i : i + WINDOW] for i in range(len(form) - WINDOW + 1))
            self._windows = frozenset(windows)
            self._short = tuple(sorted(short, key=len, reverse=True))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The ``[start, end)`` spans of ``text`` that show a secret, merged and in order."""
        windows, short = self._windows, self._short
        if not windows and not short:
            return []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        folded = "".join(text[a:b] for a, b in words).translate(_ASCII_FOLD)
        starts, offsets, at = [], [], 0  # folded index -> text index, one entry per word
        for a, b in words:
            starts.append(at)
            offsets.append(a)
            at += b - a
        hits: list[tuple[int, int]] = []
        if windows and len(folded) >= WINDOW:
            self.steps += len(folded) - WINDOW + 1
            for i in range(len(folded) - WINDOW + 1):
                if folded[i : i + WINDOW] in windows:
                    hits.append((i, i + WINDOW))
        for form in short:
            i = folded.find(form)
            while i >= 0:
                hits.append((i, i + len(form)))
                i = folded.find(form, i + len(form))
        if not hits:
            return []

        def original(index: int, end: bool) -> int:
            k = bisect_right(starts, index - 1 if end else index) - 1
            return offsets[k] + (index - starts[k])

        merged: list[tuple[int, int]] = []
        for start, end in sorted(hits):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return [(original(a, False), original(b, True)) for a, b in merged]

    def redact(self, text: str, replacement: str) -> str:
        """``text`` with every span that shows a secret replaced."""
        spans = self.spans(text)
        if not spans:
            return text
        out: list[str] = []
        last = 0
        for start, end in spans:
            out += (text[last:start], replacement)
            last = end
        out.append(text[last:])
        return "".join(out)


_RUN = re.compile(r"[A-Za-z0-9_.-]+")


def redact_jwts(text: str, replacement: str) -> str:
    """``text`` with anything shaped like a JWT (``eyJ…`` + 5 or more, ``.``, 5 or more, ``.``,
    any) replaced, in one pass: each maximal run of JWT characters is split at its dots once
    (a pattern searched from every ``eyJ`` would rescan the run each time: quadratic)."""
    if "eyJ" not in text:
        return text
    return _RUN.sub(lambda match: _jwts_in_run(match.group(), replacement), text)


def _jwts_in_run(run: str, replacement: str) -> str:
    if "eyJ" not in run:
        return run
    segments = run.split(".")
    out: list[str] = []
    i = 0
    while i < len(segments):
        segment = segments[i]
        k = segment.find("eyJ")
        if k >= 0 and len(segment) - k >= 8 and i + 2 < len(segments) and len(segments[i + 1]) >= 5:
            out.append(segment[:k] + replacement)
            i += 3
            continue
        out.append(segment)
        i += 1
    return ".".join(out)
