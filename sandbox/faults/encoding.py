"""Content encoding: honest gzip answers (``--gzip``) and the gzip bomb fault.

A bomb is built once per size and cached: ``Z_FULL_FLUSH`` resets the compressor after each
MiB of whitespace, so every such MiB compresses to the same bytes, which are repeated rather
than recompressed. Building a 1 GiB bomb costs one CRC pass over it (well under a second)
and the cache keeps about 1 KiB per decompressed MiB.
"""

from __future__ import annotations

import gzip
import struct
import threading
import zlib

from sandbox.responses import Response

__all__ = ["MIB", "accepts_gzip", "gzip_bomb", "gzip_response"]

MIB = 1024 * 1024
_BOMB_HEAD = (
    b'{"timestamp":1700000000000,"status":"success",'
    b'"message":"Injected fault: compression bomb","data":[]'
)
_BOMB_TAIL = b"}"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"  # deflate, no name, mtime 0, unix
_bombs: dict[int, bytes] = {}
_bombs_lock = threading.Lock()


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (RFC 9110 §12.5.3, q-values)."""
    if not accept_encoding:
        return False
    named: dict[str, float] = {}
    for item in accept_encoding.split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding:
            named[coding.lower()] = quality
    for coding in ("gzip", "x-gzip"):
        if coding in named:
            return named[coding] > 0
    return named.get("*", 0.0) > 0


def gzip_response(response: Response) -> Response:
    """The same answer, gzip-encoded (``Content-Encoding: gzip``)."""
    body = gzip.compress(response.body, compresslevel=6, mtime=0)
    headers = {**response.headers, "Content-Encoding": "gzip"}
    return Response(response.status, body, response.content_type, headers)


def _build_bomb(size: int) -> bytes:
    filler = size - len(_BOMB_HEAD) - len(_BOMB_TAIL)
    whole, rest = divmod(filler, MIB)
    block = b" " * MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    parts = [_GZIP_HEADER, compressor.compress(_BOMB_HEAD), compressor.flush(zlib.Z_FULL_FLUSH)]
    crc = zlib.crc32(_BOMB_HEAD)
    if whole:
        repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
        parts.append(repeated * whole)
        for _ in range(whole):
            crc = zlib.crc32(block, crc)
    tail = b" " * rest + _BOMB_TAIL
    parts += [compressor.compress(tail), compressor.flush()]
    crc = zlib.crc32(tail, crc)
    parts.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(parts)


def gzip_bomb(mib: float) -> Response:
    """200, ``Content-Encoding: gzip``: a small body that inflates to ``mib`` MiB of JSON
    (an empty ``data`` list followed by whitespace)."""
    size = max(int(mib * MIB), len(_BOMB_HEAD) + len(_BOMB_TAIL))
    with _bombs_lock:
        body = _bombs.get(size)
        if body is None:
            body = _bombs[size] = _build_bomb(size)
    return Response(200, body, headers={"Content-Encoding": "gzip"})
