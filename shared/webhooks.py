"""Partner webhooks signed the Standard Webhooks way, with rotation and replay protection."""

from __future__ import annotations

import binascii
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import standardwebhooks

from shared.errors import WebhookVerificationError

__all__ = ["TOLERANCE_S", "WebhookVerifier", "split_secrets"]

TOLERANCE_S = 300.0
"""Standard Webhooks' timestamp tolerance (5 minutes either way), enforced by the library."""


def split_secrets(raw: str) -> list[str]:
    """Secrets from one value: whitespace- or comma-separated, so a rotation can hold two."""
    return [s for s in raw.replace(",", " ").split() if s]


class WebhookVerifier:
    """Verifies ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature``.

    Args:
        secrets: returns the secrets in force (read on each call: it is cached upstream, so a
            rotation is picked up); any one of them may have signed.
        max_ids: how many recent ``webhook-id``s are remembered to refuse replays.
        clock: epoch-seconds clock.

    Replays are refused per instance; a replay reaching another instance within the
    tolerance would pass, which the 5-minute window bounds.
    """

    def __init__(
        self,
        secrets: Callable[[], list[str]],
        *,
        max_ids: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secrets = secrets
        self._max_ids = max_ids
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Check the signature; returns the ``webhook-id``.

        Raises:
            WebhookVerificationError: with a short reason safe to show the caller.
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        webhook_id = lowered.get("webhook-id", "")
        if not (
            webhook_id and lowered.get("webhook-timestamp") and lowered.get("webhook-signature")
        ):
            raise WebhookVerificationError(
                "missing webhook-id, webhook-timestamp or webhook-signature header"
            )
        reason = "signature does not match"
        secrets = self._secrets()
        if not secrets:
            raise WebhookVerificationError("no webhook secret is configured")
        for secret in secrets:
            try:
                standardwebhooks.Webhook(secret).verify(body, lowered, json_parse=False)
            except standardwebhooks.WebhookVerificationError as exc:
                text = str(exc)
                if "timestamp" in text.lower() or "headers" in text.lower():
                    raise WebhookVerificationError(
                        "webhook-timestamp is outside the 5-minute tolerance or invalid"
                    ) from None
                continue
            except (ValueError, binascii.Error, UnicodeDecodeError):
                reason = "webhook-signature is malformed"
                continue
            self._remember(webhook_id)
            return webhook_id
        raise WebhookVerificationError(reason)

    def forget(self, webhook_id: str) -> None:
        """Let ``webhook_id`` through again: its request failed, and a sender retries a failed
        delivery with the same id."""
        with self._lock:
            self._seen.pop(webhook_id, None)

    def _remember(self, webhook_id: str) -> None:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest_id, expires = next(iter(self._seen.items()))
                if expires > now and len(self._seen) < self._max_ids:
                    break
                del self._seen[oldest_id]
            if webhook_id in self._seen and self._seen[webhook_id] > now:
                raise WebhookVerificationError("webhook-id was already received (replay)")
            self._seen[webhook_id] = now + 2 * TOLERANCE_S
