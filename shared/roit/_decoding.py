"""Reading an answer's body with a cap on its decoded size (``identity``, ``gzip``, ``deflate``),
and a bound on what parsing it would cost.

Decompression is bounded too: no call to the inflater may produce more than the room left, so
an answer that would expand enormously (a compression bomb) is stopped after the cap, having
cost at most the cap in memory.

Parsing is bounded by the number of JSON values, counted before parsing: Python spends up to
~100 bytes on each value, so a 32 MiB answer of tiny values (``[{},{},…]``) would become ~1 GB
of objects however small its bytes are.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from shared.core.errors import MalformedResponseError, ResponseTooLargeError

__all__ = ["read_capped"]


class _Inflater:
    """Bounded ``gzip`` / ``deflate`` decoding: never more than ``room`` bytes out per feed."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._first = True
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        if self._first and not self._gzip:  # "deflate" is zlib-wrapped, or raw from some servers
            self._first = False
            if data and (data[0] & 0x0F) != 8:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        out = self._d.decompress(data, room + 1)
        while self._gzip and self._d.eof and self._d.unused_data and len(out) <= room:
            rest = self._d.unused_data  # a further gzip member
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += self._d.decompress(rest, room + 1 - len(out))
        return out


def read_capped(chunks: Iterator[bytes], encoding: str, cap: int, endpoint: str) -> bytes:
    """The decoded body of ``chunks`` (raw bytes as they arrive).

    Raises:
        ResponseTooLargeError: more than ``cap`` bytes once decoded.
        MalformedResponseError: a corrupt compressed body.
    """
    too_large = ResponseTooLargeError(
        f"ROIT's answer on {endpoint} is larger than ROIT_MAX_RESPONSE_BYTES ({cap} bytes)"
    )
    body = bytearray()
    inflater = None if encoding in ("", "identity") else _Inflater(encoding)
    try:
        for chunk in chunks:
            room = cap - len(body)
            piece = chunk if inflater is None else inflater.feed(chunk, room)
            if len(piece) > room:
                raise too_large
            body += piece
    except zlib.error:
        raise MalformedResponseError(f"ROIT's {encoding} answer on {endpoint} is corrupt") from None
    return bytes(body)
