"""Fault injection, per endpoint, drawn before the endpoint touches any state.

One :class:`FaultSpec` per endpoint (``token``, ``pending``, ``status``, ``reprocess``,
``attachs``, ``delivery``). Each call draws at most one :class:`FaultAction`, in this order:
``drop_next``, ``drop_rate``, ``rate_limit_next``, ``rate_limit_rate``, ``fail_next``,
``error_rate``, ``malformed_next``, ``redirect_next``, ``redirect_rate``, ``token_missing_next``,
``token_bad_chars_next``, ``gzip_bomb_next``, ``gzip_bomb_rate``, ``oversize_next``,
``oversize_rate``, ``stall_next``, ``stall_rate``, ``slow_body_next``, ``slow_body_rate``.
Latency (``latency_ms``, plus ``spike_ms`` for a ``spike_rate`` share of calls) comes with any
of them. Rates draw from the board's RNG (seeded by ``--random-seed``), and only when set, so
a seeded sandbox repeats the same faults for the same sequence of calls.

Every kind answers before the endpoint runs, except the body-shaping ones (``oversize``,
``stall``, ``slow_body``), which shape the endpoint's real answer and so come after it committed,
and ``drop_after_commit_next`` (pending only), taken after a successful call that drew nothing
and handed out at least one entity.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "BODY_SHAPING",
    "ENDPOINTS",
    "REDIRECT_STATUSES",
    "FaultAction",
    "FaultBoard",
    "FaultKind",
    "FaultSpec",
    "parse_fault_option",
]

ENDPOINTS: tuple[str, ...] = ("token", "pending", "status", "reprocess", "attachs", "delivery")
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_MAX_MIB = 16 * 1024


class FaultSpec(BaseModel):
    """Faults for one endpoint; counters (``*_next``) are consumed one per call."""

    model_config = ConfigDict(extra="forbid")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    error_status: int = Field(default=503, ge=400, le=599)
    fail_next: int = Field(default=0, ge=0)
    rate_limit_next: int = Field(default=0, ge=0)
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after: int = Field(default=1, ge=0)
    latency_ms: int = Field(default=0, ge=0, le=600_000)
    drop_next: int = Field(default=0, ge=0)
    drop_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    malformed_next: int = Field(default=0, ge=0)
    drop_after_commit_next: int = Field(default=0, ge=0)
    spike_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    spike_ms: int = Field(default=1000, ge=0, le=600_000)
    redirect_next: int = Field(default=0, ge=0)
    redirect_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    redirect_status: int = 302
    token_missing_next: int = Field(default=0, ge=0)
    token_bad_chars_next: int = Field(default=0, ge=0)
    gzip_bomb_next: int = Field(default=0, ge=0)
    gzip_bomb_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    bomb_mib: float = Field(default=1024, gt=0, le=_MAX_MIB)
    oversize_next: int = Field(default=0, ge=0)
    oversize_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    oversize_mib: float = Field(default=64, gt=0, le=_MAX_MIB)
    stall_next: int = Field(default=0, ge=0)
    stall_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    stall_ms: int = Field(default=60_000, ge=0, le=3_600_000)
    slow_body_next: int = Field(default=0, ge=0)
    slow_body_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    drip_bytes: int = Field(default=1, ge=1)
    drip_interval_ms: int = Field(default=200, ge=0, le=600_000)

    @field_validator("redirect_status")
    @classmethod
    def _redirect_status(cls, value: int) -> int:
        if value not in REDIRECT_STATUSES:
            raise ValueError(f"must be one of {', '.join(map(str, REDIRECT_STATUSES))}")
        return value


class FaultKind(Enum):
    NONE = "none"
    DROP = "drop"
    RATE_LIMIT = "rate_limit"
    ERROR = "error"
    MALFORMED = "malformed"
    REDIRECT = "redirect"
    TOKEN_MISSING = "token_missing"
    TOKEN_BAD_CHARS = "token_bad_chars"
    GZIP_BOMB = "gzip_bomb"
    OVERSIZE = "oversize"
    STALL = "stalled"
    SLOW_BODY = "slow_body"


# Kinds that shape the endpoint's real answer (so the endpoint runs first).
BODY_SHAPING = frozenset({FaultKind.OVERSIZE, FaultKind.STALL, FaultKind.SLOW_BODY})
# Kinds that only make sense on the token endpoint.
_TOKEN_ONLY = ("token_missing_next", "token_bad_chars_next")


@dataclass(frozen=True)
class FaultAction:
    """What happens to one call: ``kind`` plus the settings it needs.

    ``status``: the error or redirect status; ``size_mib``: oversize / bomb size;
    ``pause_s``: drip interval or stall duration; ``piece_bytes``: drip piece size;
    ``spiked``: a latency spike is part of ``latency_s``.
    """

    kind: FaultKind
    latency_s: float = 0.0
    status: int = 200
    retry_after: int = 0
    size_mib: float = 0.0
    pause_s: float = 0.0
    piece_bytes: int = 1
    spiked: bool = False


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
            ValueError: unknown endpoint, ``drop_after_commit_next`` off ``pending`` or a
                ``token_*`` fault off ``token``.
        """
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {', '.join(ENDPOINTS)}")
        if spec.drop_after_commit_next and endpoint != "pending":
            raise ValueError("drop_after_commit_next applies to the pending endpoint only")
        for key in _TOKEN_ONLY:
            if getattr(spec, key) and endpoint != "token":
                raise ValueError(f"{key} applies to the token endpoint only")
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

    def _hit(self, spec: FaultSpec, counter: str, rate: str | None = None) -> bool:
        """Consume one of ``spec.<counter>``, else draw ``spec.<rate>`` (lock held)."""
        if getattr(spec, counter):
            setattr(spec, counter, getattr(spec, counter) - 1)
            return True
        share: float = getattr(spec, rate) if rate else 0.0
        return bool(share) and self._rng.random() < share

    def draw(self, endpoint: str) -> FaultAction:
        """Decide what happens to one call of ``endpoint`` (consumes ``*_next`` counters)."""
        with self._lock:
            spec = self._specs.get(endpoint)
            if spec is None:
                return _NO_FAULT
            latency = spec.latency_ms / 1000
            spiked = bool(spec.spike_rate) and self._rng.random() < spec.spike_rate
            if spiked:
                latency += spec.spike_ms / 1000
            base = FaultAction(FaultKind.NONE, latency, spiked=spiked)
            return replace(base, **self._kind(spec))

    def _kind(self, spec: FaultSpec) -> dict[str, Any]:
        """The first armed fault, in the module's documented order (lock held)."""
        if self._hit(spec, "drop_next", "drop_rate"):
            return {"kind": FaultKind.DROP}
        if self._hit(spec, "rate_limit_next", "rate_limit_rate"):
            return {"kind": FaultKind.RATE_LIMIT, "status": 429, "retry_after": spec.retry_after}
        if self._hit(spec, "fail_next", "error_rate"):
            return {"kind": FaultKind.ERROR, "status": spec.error_status}
        if self._hit(spec, "malformed_next"):
            return {"kind": FaultKind.MALFORMED}
        if self._hit(spec, "redirect_next", "redirect_rate"):
            return {"kind": FaultKind.REDIRECT, "status": spec.redirect_status}
        if self._hit(spec, "token_missing_next"):
            return {"kind": FaultKind.TOKEN_MISSING}
        if self._hit(spec, "token_bad_chars_next"):
            return {"kind": FaultKind.TOKEN_BAD_CHARS}
        if self._hit(spec, "gzip_bomb_next", "gzip_bomb_rate"):
            return {"kind": FaultKind.GZIP_BOMB, "size_mib": spec.bomb_mib}
        if self._hit(spec, "oversize_next", "oversize_rate"):
            return {"kind": FaultKind.OVERSIZE, "size_mib": spec.oversize_mib}
        if self._hit(spec, "stall_next", "stall_rate"):
            return {"kind": FaultKind.STALL, "pause_s": spec.stall_ms / 1000}
        if self._hit(spec, "slow_body_next", "slow_body_rate"):
            return {
                "kind": FaultKind.SLOW_BODY,
                "pause_s": spec.drip_interval_ms / 1000,
                "piece_bytes": spec.drip_bytes,
            }
        return {}

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
