"""Per-instance state: settings validated at cold start, clients created once on first use."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

import flask

from shared.core import deadline
from shared.core.errors import ConfigurationError, ResponseTooLargeError, RoitStatusError
from shared.core.lazy import Lazy
from shared.core.logs import configure_logging, get_logger, log_context, trace_fields
from shared.core.secret_files import provider_for
from shared.core.secrets import SecretProvider
from shared.core.settings import RoitSettings, load_settings
from shared.entry.failures import report
from shared.entry.frontdoor import harden_server
from shared.entry.http import error_response, json_response
from shared.roit.client import RoitClient

__all__ = ["Runtime", "cold_start"]

log = get_logger("runtime")

MAX_ANSWER_BYTES = 30 * 1024 * 1024
"""The largest answer an HTTP function gives (Cloud Run refuses responses over 32 MiB)."""

S = TypeVar("S", bound=RoitSettings)


class Runtime(Generic[S]):
    """What one function instance keeps between invocations.

    Constructing it reads and validates the settings (a bad one fails the cold start, naming
    the variable); the ROIT client and secret provider are created on first use, once, however
    many requests arrive at the same time. Functions that publish also keep a
    :class:`~shared.core.pubsub.Publisher`, which HTTP-only functions never import.
    """

    def __init__(self, settings_cls: type[S]) -> None:
        harden_server()  # before functions-framework builds its server (shared.entry.frontdoor)
        configure_logging()
        with cold_start():
            self.settings: S = load_settings(settings_cls)
        configure_logging(self.settings.log_level)
        self._secrets: Lazy[SecretProvider] = Lazy(lambda: provider_for(self.settings))
        self._client: Lazy[RoitClient] = Lazy(
            lambda: RoitClient(self.settings, secrets=self.secrets)
        )

    @property
    def secrets(self) -> SecretProvider:
        """The Secret Manager provider (no client is built until a secret is read)."""
        return self._secrets.get()

    @property
    def client(self) -> RoitClient:
        """The instance's ROIT client (one pool, one token)."""
        return self._client.get()

    @contextmanager
    def request_context(self, request: flask.Request, **fields: str | None) -> Iterator[str]:
        """Bind trace and correlation id to the logs of one request; yields the correlation id.

        The correlation id comes from ``X-Correlation-Id`` when a caller sends a sane one.
        """
        supplied = request.headers.get("X-Correlation-Id", "")
        correlation_id = supplied if _sane_id(supplied) else str(uuid.uuid4())
        trace = trace_fields(dict(request.headers), self.settings.gcp_project)
        with log_context(correlationId=correlation_id, **trace, **fields):
            yield correlation_id

    def serve(self, request: flask.Request, work: Callable[[], Any]) -> flask.Response:
        """Run one HTTP invocation: logs bound to the request, every error mapped to JSON.

        Args:
            request: the incoming request.
            work: returns a JSON-able payload (answered 200) or a ready ``flask.Response``.
        """
        started = time.monotonic()
        with (
            self.request_context(request) as correlation_id,
            deadline.deadline_scope(self.settings.invocation_s),
        ):
            try:
                result = work()
                response = result if isinstance(result, flask.Response) else json_response(result)
                if (response.content_length or 0) > MAX_ANSWER_BYTES:
                    raise ResponseTooLargeError("ROIT's answer is too large to relay")
            except Exception as exc:  # noqa: BLE001 - error_response maps every error
                response = error_response(exc)
                if response.status_code >= 500 or isinstance(exc, RoitStatusError):
                    report(log, exc, "request failed", {"status": response.status_code})
            response.headers["X-Correlation-Id"] = correlation_id
            fields = {"status": response.status_code, "ms": _ms_since(started)}
            level = logging.WARNING if response.status_code >= 500 else logging.INFO
            log.log(level, "request served", extra={"fields": fields})
            return response


@contextmanager
def cold_start() -> Iterator[None]:
    """A configuration error at cold start stops the instance after one ERROR log line with
    ``event=config_error`` naming what to check (operators are alerted on it; the stack
    trace the framework prints says nothing about the deployment)."""
    try:
        yield
    except ConfigurationError as exc:
        report(log, exc, "the instance cannot start", {})
        raise


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _sane_id(value: str) -> bool:
    return 0 < len(value) <= 128 and all(c.isalnum() or c in "-_.:" for c in value)
