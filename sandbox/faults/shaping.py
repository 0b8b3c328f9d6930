"""Body-shaping faults: a real answer sent slowly (drip), cut off halfway (stall) or padded
to many MiB (oversize), as :class:`~sandbox.responses.StreamedResponse`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sandbox.faults.encoding import MIB
from sandbox.responses import Chunk, Pause, Response, StreamedResponse

__all__ = ["OVERSIZE_CHUNK", "drip", "oversize", "stall"]

OVERSIZE_CHUNK = 64 * 1024  # the largest piece of padding ever held at once
_PAD_CHUNK = b"x" * OVERSIZE_CHUNK


def _streamed(
    response: Response,
    chunks: Iterator[Chunk],
    length: int,
    on_hangup: Callable[[], None] | None,
    *,
    close_after: bool = False,
) -> StreamedResponse:
    return StreamedResponse(
        status=response.status,
        chunks=chunks,
        content_length=length,
        content_type=response.content_type,
        headers=response.headers,
        close_after=close_after,
        on_hangup=on_hangup,
    )


def drip(
    response: Response,
    piece_bytes: int,
    interval_s: float,
    on_hangup: Callable[[], None] | None = None,
) -> StreamedResponse:
    """The whole answer, ``piece_bytes`` at a time, each piece after ``interval_s``: it takes
    at least ``ceil(len(body) / piece_bytes) * interval_s``."""
    body = response.body

    def chunks() -> Iterator[Chunk]:
        for start in range(0, len(body), piece_bytes):
            yield Pause(interval_s)
            yield body[start : start + piece_bytes]

    return _streamed(response, chunks(), len(body), on_hangup)


def stall(
    response: Response, stall_s: float, on_hangup: Callable[[], None] | None = None
) -> StreamedResponse:
    """Headers (announcing the whole body) and its first half, then silence for ``stall_s``,
    then the connection closes: the body never completes."""
    body = response.body
    half = len(body) // 2

    def chunks() -> Iterator[Chunk]:
        yield body[:half]
        yield Pause(stall_s)

    return _streamed(response, chunks(), len(body), on_hangup, close_after=True)


def oversize(
    response: Response, mib: float, on_hangup: Callable[[], None] | None = None
) -> StreamedResponse:
    """The answer's JSON object with a ``"padding"`` string member put first, so the whole body
    is ``mib`` MiB (or the answer itself when larger); streamed in 64 KiB pieces with an exact
    ``Content-Length``. ``response`` must hold a JSON object, not content-encoded."""
    body = response.body.strip()
    if not body.startswith(b"{"):
        raise ValueError("oversize needs a JSON object body")
    rest = body[1:].lstrip()
    head = b'{"padding":"'
    tail = b'"}' if rest == b"}" else b'",' + rest
    padding = max(0, int(mib * MIB) - len(head) - len(tail))

    def chunks() -> Iterator[Chunk]:
        yield head
        whole, part = divmod(padding, OVERSIZE_CHUNK)
        for _ in range(whole):
            yield _PAD_CHUNK
        yield _PAD_CHUNK[:part]
        yield tail

    return _streamed(response, chunks(), len(head) + padding + len(tail), on_hangup)
