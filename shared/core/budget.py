"""Memory per instance, not per request: the caps every request shares (issue 22 §2).

An instance serves up to ``ROIT_INSTANCE_CONCURRENCY`` requests at once within
``ROIT_INSTANCE_MEMORY_MIB`` (Terraform passes both from the function's sizing). Every cap on
what a request may make the instance hold is derived from them, so that all requests at once,
each at its caps, stay inside the instance:

    per request = (memory - BASELINE_MIB) x USABLE / concurrency
    answer bytes  <= per request / 4   (held raw, decoded and parsed: ~2x its bytes, half the share)
    answer values <= per request / 2 / BYTES_PER_VALUE   (Python spends ~100 bytes on each value)
    message values <= the same          (a push message's data is at most Pub/Sub's 10 MB)

For the deployed push and HTTP functions (512 MiB, 10 at once): (512 - 96) x 0.8 / 10 = 33.3 MiB
per request, so answers of at most 8.3 MiB and 174,000 values, messages of at most 174,000
values; poll_pending (1 at once) keeps the configured 32 MiB / 1,000,000. The configured caps
(``ROIT_MAX_RESPONSE_BYTES``, ``ROIT_MAX_RESPONSE_VALUES``, ``ROIT_MAX_MESSAGE_VALUES``) stay the
ceiling; without the sizing (local use), they are the caps.

A push message itself is at most Pub/Sub's 10 MB (~3x that while handled, measured by
``make bench``): 10 at once is ~300 MB, inside 512 MiB with the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.core.settings import RoitSettings

__all__ = ["BASELINE_MIB", "BYTES_PER_VALUE", "USABLE", "Caps", "instance_caps"]

BASELINE_MIB = 96
"""An idle instance: Python, the libraries and the clients (``make bench`` measures ~77 MiB)."""

USABLE = 0.8
"""Of what is left, the share requests may use (the rest absorbs fragmentation)."""

BYTES_PER_VALUE = 100
"""What Python spends on one parsed JSON value, at most (``shared.roit._decoding``)."""

_MIB = 1024 * 1024


@dataclass(frozen=True)
class Caps:
    """What one request may make the instance hold."""

    response_bytes: int
    response_values: int
    message_values: int


def instance_caps(settings: RoitSettings) -> Caps:
    """The caps for ``settings``' instance sizing, never above the configured ones (pure)."""
    configured = Caps(
        settings.max_response_bytes, settings.max_response_values, settings.max_message_values
    )
    memory, concurrency = settings.instance_memory_mib, settings.instance_concurrency
    if memory is None or concurrency is None:
        return configured
    share = max(memory - BASELINE_MIB, 0) * _MIB * USABLE / concurrency
    values = int(share / 2 / BYTES_PER_VALUE)
    return Caps(
        response_bytes=max(min(configured.response_bytes, int(share / 4)), 256 * 1024),
        response_values=max(min(configured.response_values, values), 10_000),
        message_values=max(min(configured.message_values, values), 10_000),
    )
