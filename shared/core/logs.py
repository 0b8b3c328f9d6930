"""Structured logs in Cloud Logging's JSON format, one line per event, secrets redacted.

Use :func:`get_logger` and pass event fields with ``extra={"fields": {...}}`` or through
:func:`log_context`, which binds fields (trace, ``requestId``, ``correlationId`` …) to every
line logged inside it — also across threads started with :func:`contextvars.copy_context`.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from shared.core.redaction import Redactor, redact_jwts

__all__ = [
    "CloudLoggingFormatter",
    "configure_logging",
    "current_correlation_id",
    "get_logger",
    "log_context",
    "redact",
    "register_secret",
    "sanitize",
    "trace_fields",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "roit_log_context", default=_EMPTY
)
_SENSITIVE_KEY = re.compile(
    r"token|secret|password|passwd|authorization|credential|signature|api[_-]?key|cookie",
    re.IGNORECASE,
)
_SENSITIVE_VALUE = re.compile(  # a JWT is found by shared.core.redaction.redact_jwts, in one pass
    r"whsec_[A-Za-z0-9+/=]+"  # a Standard Webhooks secret
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
)
REDACTED = "[REDACTED]"
_LEVELS = {
    logging.DEBUG: "DEBUG",
    logging.INFO: "INFO",
    logging.WARNING: "WARNING",
    logging.ERROR: "ERROR",
    logging.CRITICAL: "CRITICAL",
}


_known = Redactor(min_length=6, capacity=64)  # the connector's own secrets and recent tokens


def register_secret(value: str | None) -> None:
    """Remember a value the connector holds that must never be shown (a client secret, a
    webhook secret, a token): :func:`sanitize` removes it wherever it appears, whatever the
    text around it, in every encoding it commonly travels in, and any 12 characters of it in a
    row (:mod:`shared.core.redaction`). Values shorter than 6 characters are not matched (too many
    false hits)."""
    _known.register(value)


def sanitize(text: str) -> str:
    """``text`` without the connector's own secrets and tokens, nor anything shaped like one
    (a JWT, a ``whsec_`` secret, a ``Bearer`` value); linear in the length of ``text``."""
    text = redact_jwts(_known.redact(text, REDACTED), REDACTED)
    return _SENSITIVE_VALUE.sub(REDACTED, text)


def redact(value: Any, key: str | None = None) -> Any:
    """A copy of ``value`` with sensitive keys and secret or token-looking strings replaced."""
    if key is not None and _SENSITIVE_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


class CloudLoggingFormatter(logging.Formatter):
    """Formats a record as one JSON object Cloud Logging understands."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _LEVELS.get(record.levelno, "DEFAULT"),
            "message": redact(record.getMessage()),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        entry.update(redact(dict(_CONTEXT.get())))
        fields = getattr(record, "fields", None)
        if isinstance(fields, Mapping):
            entry.update(redact(dict(fields)))
        if record.exc_info and record.exc_info[0] is not None:
            # Cloud Error Reporting reads a Python traceback from jsonPayload.stack_trace.
            entry["errorType"] = record.exc_info[0].__name__
            entry["stack_trace"] = sanitize("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, default=str, separators=(",", ":"))


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is now (a test may have replaced it)."""

    @property
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


_configured = False


def configure_logging(level: str | int = "INFO") -> None:
    """Send the connector's logs to stdout as JSON lines (idempotent)."""
    global _configured
    logger = logging.getLogger("roit")
    logger.setLevel(level if isinstance(level, int) else level.upper())
    if _configured:
        return
    handler = _StdoutHandler()
    handler.setFormatter(CloudLoggingFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    _configured = True


def get_logger(name: str) -> logging.Logger:
    """A logger under the connector's ``roit`` hierarchy."""
    return logging.getLogger(f"roit.{name}")


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Bind fields to every log line inside the block (``None`` values are left out)."""
    merged = {**_CONTEXT.get(), **{k: v for k, v in fields.items() if v is not None}}
    token = _CONTEXT.set(merged)
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def current_correlation_id() -> str:
    """The correlation id bound by the innermost :func:`log_context` ("" outside one)."""
    return str(_CONTEXT.get().get("correlationId", ""))


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_CLOUD_TRACE = re.compile(r"^([0-9a-fA-F]{32})(?:/(\d+))?(?:;o=([01]))?$")


def trace_fields(headers: Mapping[str, str], project: str | None) -> dict[str, Any]:
    """Cloud Logging trace fields from ``traceparent`` or ``X-Cloud-Trace-Context``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    trace_id = span_id = None
    sampled = False
    if match := _TRACEPARENT.match(lowered.get("traceparent", "").strip()):
        trace_id, span_id, flags = match.group(1), match.group(2), match.group(3)
        sampled = int(flags, 16) & 1 == 1
    elif match := _CLOUD_TRACE.match(lowered.get("x-cloud-trace-context", "").strip()):
        trace_id, span_id = match.group(1).lower(), match.group(2)
        sampled = match.group(3) == "1"
    if not trace_id:
        return {}
    prefix = f"projects/{project}/traces/" if project else ""
    out: dict[str, Any] = {"logging.googleapis.com/trace": prefix + trace_id}
    if span_id:
        out["logging.googleapis.com/spanId"] = span_id
    out["logging.googleapis.com/trace_sampled"] = sampled
    return out
