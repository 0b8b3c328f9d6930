"""Every HTTP function's edge: the JSON body read into its model, the handler run, JSON answered.

The Pub/Sub-fed functions have theirs in :mod:`shared.push.handler`. Errors become the failure
table's answers in :meth:`shared.entry.runtime.Runtime.serve`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

import flask
from pydantic import BaseModel

from shared.entry.http import raw_body, read_json
from shared.entry.runtime import Runtime

__all__ = ["Verifier", "handle_http"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class Verifier(Protocol):
    """What vouches for a caller before the work runs
    (:class:`shared.entry.webhooks.WebhookVerifier`)."""

    def run(self, body: bytes, headers: Mapping[str, str], work: Callable[[], T]) -> T:
        """Verify the request, then ``work()``."""
        ...


def handle_http(
    request: flask.Request,
    runtime: Runtime[Any],
    model: type[M],
    handler: Callable[[M], Any],
    *,
    allow_empty: bool = False,
    verifier: Verifier | None = None,
) -> flask.Response:
    """Run ``handler`` on the request's body, read strictly into ``model``.

    Args:
        request: the HTTP request.
        runtime: the function's runtime.
        model: the body's model; an empty body is its defaults when ``allow_empty``.
        handler: does the work; returns a JSON-able payload or a ready ``flask.Response``.
        verifier: when given, checks the request (e.g. its signature) before the body is read.
    """

    def work() -> Any:
        return handler(read_json(request, model, allow_empty=allow_empty))

    if verifier is None:
        return runtime.serve(request, work)
    return runtime.serve(
        request, lambda: verifier.run(raw_body(request), dict(request.headers), work)
    )
