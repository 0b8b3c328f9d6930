"""Firestore round trips, counted: a gRPC pass-through in front of the emulator.

A function pointed at it (``FIRESTORE_EMULATOR_HOST``) sends every call through it unchanged;
the proxy counts calls by method (``BatchGetDocuments``: a document read, ``Commit``: a write).
It adds a loopback hop, so it is used for counting only, never for a timed figure.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]

__all__ = ["READS", "WRITES", "CountingProxy"]

READS = frozenset({"BatchGetDocuments", "GetDocument", "RunQuery", "RunAggregationQuery"})
WRITES = frozenset({"Commit", "BatchWrite", "CreateDocument", "UpdateDocument", "DeleteDocument"})
_UNARY_STREAM = frozenset({"BatchGetDocuments", "RunQuery", "RunAggregationQuery"})
_DROPPED = ("user-agent", "grpc-")  # set again by the proxy's own channel


def _metadata(context: grpc.ServicerContext) -> list[tuple[str, str | bytes]]:
    return [(k, v) for k, v in context.invocation_metadata() if not k.startswith(_DROPPED)]


class CountingProxy:
    """Forwards every gRPC call on ``listen`` to ``upstream`` (``host:port``), counting them.

    ``with CountingProxy(upstream) as proxy:`` … ``proxy.host`` … ``proxy.counts()``.
    """

    def __init__(self, upstream: str) -> None:
        self._channel = grpc.insecure_channel(upstream)
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self._server.add_generic_rpc_handlers([_Handler(self)])
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.host = f"127.0.0.1:{port}"

    def __enter__(self) -> CountingProxy:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None)
        self._channel.close()

    def _count(self, method: str) -> None:
        with self._lock:
            self._counts[method.rsplit("/", 1)[-1]] += 1

    def counts(self) -> dict[str, int]:
        """Calls so far, by method name."""
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    # -- forwarding (requests and answers stay serialized bytes) -----------------------------
    def unary(self, method: str, request: bytes, context: grpc.ServicerContext) -> Any:
        self._count(method)
        call = self._channel.unary_unary(method)
        try:
            return call(request, metadata=_metadata(context), timeout=context.time_remaining())
        except grpc.RpcError as exc:
            context.abort(exc.code(), exc.details() or "")

    def stream(self, method: str, request: bytes, context: grpc.ServicerContext) -> Iterator[Any]:
        self._count(method)
        call = self._channel.unary_stream(method)
        try:
            yield from call(request, metadata=_metadata(context), timeout=context.time_remaining())
        except grpc.RpcError as exc:
            context.abort(exc.code(), exc.details() or "")


class _Handler:
    """A ``grpc.GenericRpcHandler`` (grpc asks only for ``service``): every method forwarded."""

    def __init__(self, proxy: CountingProxy) -> None:
        self._proxy = proxy

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        method: str = details.method
        if method.rsplit("/", 1)[-1] in _UNARY_STREAM:
            return grpc.unary_stream_rpc_method_handler(
                lambda request, context: self._proxy.stream(method, request, context)
            )
        return grpc.unary_unary_rpc_method_handler(
            lambda request, context: self._proxy.unary(method, request, context)
        )
