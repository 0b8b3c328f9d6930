"""Fault injection, per endpoint, decided before the endpoint touches any state.

One :class:`FaultSpec` per endpoint (``token``, ``pending``, ``status``, ``reprocess``,
``attachs``, ``delivery``). Each call draws one :class:`FaultAction` in this order:
latency (always added), ``drop_next``, ``drop_rate``, ``rate_limit_next``, ``fail_next``,
``error_rate``, ``malformed_next``. ``drop_after_commit_next`` (pending only) is taken
separately, after the endpoint committed its state change.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ENDPOINTS",
    "FaultAction",
    "FaultBoard",
    "FaultKind",
    "FaultSpec",
    "parse_fault_option",
]

ENDPOINTS: tuple[str, ...] = ("token", "pending", "status", "reprocess", "attachs", "delivery")


class FaultSpec(BaseModel):
    """Faults for one endpoint; counters (``*_next``) are consumed one per call."""

    model_config = ConfigDict(extra="forbid")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=400, le=599)
    fail_next: int = Field(default=0, ge=0)
    rate_limit_next: int = Field(default=0, ge=0)
    retry_after: int = Field(default=1, ge=0)
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    drop_next: int = Field(default=0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    malformed_next: int = Field(default=0, ge=0)
    drop_after_commit_next: int = Field(default=0, ge=0)


class FaultKind(Enum):
    NONE = "none"
    DROP = "drop"
    RATE_LIMIT = "rate_limit"
    ERROR = "error"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class FaultAction:
    kind: FaultKind
    latency_s: float = 0.0
    status: int = 200
    retry_after: int = 0


_NO_FAULT = FaultAction(FaultKind.NONE)


class FaultBoard:
    """The current faults of every endpoint; thread-safe."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self._specs: dict[str, FaultSpec] = {}
        self._lock = threading.Lock()

    def set(self, endpoint: str, spec: FaultSpec) -> None:
        """Replace the faults of ``endpoint``.

        Raises:
            ValueError: unknown endpoint, or ``drop_after_commit_next`` off ``pending``.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        if spec.drop_after_commit_next and endpoint != "pending":
            raise ValueError("drop_after_commit_next applies to the pending endpoint only")
        with self._lock:
            self._specs[endpoint] = spec

    def clear(self, endpoint: str | None = None) -> None:
        """Remove the faults of one endpoint, or of all."""
        with self._lock:
            if endpoint is None:
                self._specs.clear()
            else:
                self._specs.pop(endpoint, None)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The remaining faults, per endpoint."""
        with self._lock:
            return {name: spec.model_dump() for name, spec in self._specs.items()}

    def draw(self, endpoint: str) -> FaultAction:
        """Decide what happens to one call of ``endpoint`` (consumes ``*_next`` counters)."""
        with self._lock:
            spec = self._specs.get(endpoint)
            if spec is None:
                return _NO_FAULT
            latency = spec.latency_ms / 1000
            if spec.drop_next:
                spec.drop_next -= 1
                return FaultAction(FaultKind.DROP, latency)
            if spec.drop_rate and self._rng.random() < spec.drop_rate:
                return FaultAction(FaultKind.DROP, latency)
            if spec.rate_limit_next:
                spec.rate_limit_next -= 1
                return FaultAction(FaultKind.RATE_LIMIT, latency, 429, spec.retry_after)
            if spec.fail_next:
                spec.fail_next -= 1
                return FaultAction(FaultKind.ERROR, latency, spec.error_status)
            if spec.error_rate and self._rng.random() < spec.error_rate:
                return FaultAction(FaultKind.ERROR, latency, spec.error_status)
            if spec.malformed_next:
                spec.malformed_next -= 1
                return FaultAction(FaultKind.MALFORMED, latency)
            return FaultAction(FaultKind.NONE, latency)

    def take_drop_after_commit(self, endpoint: str) -> bool:
        """True (and consume one) if this committed call must lose its response."""
        with self._lock:
            spec = self._specs.get(endpoint)
            if spec is None or not spec.drop_after_commit_next:
                return False
            spec.drop_after_commit_next -= 1
            return True


def parse_fault_option(option: str) -> tuple[str, FaultSpec]:
    """Parse a ``--fault`` value such as ``pending:error_rate=0.2,error_status=503``.

    Raises:
        ValueError: the option is not ``ENDPOINT:key=value[,key=value...]`` or a value is bad.
    """
    endpoint, sep, rest = option.partition(":")
    endpoint = endpoint.strip()
    if not sep or endpoint not in ENDPOINTS:
        raise ValueError(f"expected ENDPOINT:key=value,... with ENDPOINT one of {ENDPOINTS}")
    values: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = pair.partition("=")
        if not eq:
            raise ValueError(f"fault setting {pair!r} is not key=value")
        values[key.strip()] = value.strip()
    return endpoint, FaultSpec.model_validate(values)
