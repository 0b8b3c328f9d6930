"""Sockets that obey the deadline: every connect, TLS handshake, write and read of a ROIT
connection gets at most what is left of the current deadline (:mod:`shared.core.deadline`), through
a network backend that wraps httpcore's own."""

from __future__ import annotations

import math
from typing import Any

import httpcore
import httpx

from shared.core import deadline

__all__ = ["DeadlineTransport"]


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the deadline; raises ``expired`` once it passed."""
    left = deadline.remaining()
    if left <= 0:
        raise expired("the call's deadline passed")
    if math.isinf(left):
        return timeout
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            super().connect_tcp(host, port, bounded, local_address, socket_options)
        )


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport over a connection pool whose sockets obey the deadline."""

    def __init__(self, limits: httpx.Limits) -> None:  # the parent's pool is replaced
        # Only the pool is the parent's state. No SSL context up front: httpcore builds its
        # default one (certifi) on the first https connection, so a cold start does not pay it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=None,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )
