"""Is a key trivially guessable? What a webhook key must be before it is trusted.

HMAC pads a key with zero bytes to its block size, so a key of 24 zero bytes signs exactly as
the *empty* key does, and any key's trailing zero bytes add nothing. A key made by a person
or a broken generator (one byte repeated, a short pattern repeated, a counting sequence, a
few distinct bytes) is as weak however long it is. :func:`weakness` names the first such
problem; a key of random bytes (what ``whsec_`` keys are: 24 to 64 random bytes) has none.

The thresholds sit far below what random keys reach: 24 random bytes hold ~23 distinct
values (fewer than 16 happens with a probability below 1e-12) and ~4.4 bits of Shannon
entropy per byte; the checks cost one pass over at most a few hundred bytes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter

__all__ = ["MIN_DISTINCT_BYTES", "MIN_ENTROPY_BITS", "weakness"]

MIN_DISTINCT_BYTES = 16
"""The fewest distinct byte values a key may hold."""

MIN_ENTROPY_BITS = 3.5
"""The least Shannon entropy of a key's bytes, in bits per byte."""

_HMAC_BLOCK = 64  # SHA-256's block: a key up to this long is zero-padded, a longer one hashed


def entropy_bits(key: bytes) -> float:
    """The Shannon entropy of ``key``'s byte histogram, in bits per byte."""
    total = len(key)
    return -sum(n / total * math.log2(n / total) for n in Counter(key).values()) if total else 0.0


def _period(key: bytes) -> int:
    """The shortest ``p`` with ``key[i] == key[i + p]`` for every ``i`` (``len(key)`` if none)."""
    for p in range(1, len(key) // 2 + 1):
        if key[p:] == key[:-p]:
            return p
    return len(key)


def weakness(key: bytes, min_bytes: int) -> str | None:
    """What makes ``key`` trivially guessable, or ``None`` (never quotes the key).

    Args:
        key: the decoded key material.
        min_bytes: the fewest bytes that count.
    """
    if len(key) < min_bytes:
        return f"a {len(key)}-byte key; at least {min_bytes}"
    effective = key.rstrip(b"\x00") if len(key) <= _HMAC_BLOCK else key
    if len(effective) < MIN_DISTINCT_BYTES:
        return f"a key HMAC reads as {len(effective)} bytes (the rest are trailing zeros)"
    distinct = len(set(effective))
    if distinct < MIN_DISTINCT_BYTES:
        return f"a key of only {distinct} distinct byte values; at least {MIN_DISTINCT_BYTES}"
    if _period(effective) < len(effective):
        return "a key that repeats a pattern"
    steps = {(b - a) % 256 for a, b in itertools.pairwise(effective)}
    if len(steps) == 1:
        return "a key that counts (every byte the last plus a constant)"
    if entropy_bits(effective) < MIN_ENTROPY_BITS:
        return f"a key with too little entropy; at least {MIN_ENTROPY_BITS} bits per byte"
    return None
