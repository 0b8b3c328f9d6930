"""Standard Webhooks secrets as configured: checked at start-up, never quoted in an error.

Kept apart from :mod:`shared.entry.webhooks` so that checking them costs no import of the webhook
library (every function validates its settings; only ``reprocess`` verifies signatures).
"""

from __future__ import annotations

import base64
import binascii

from shared.entry.key_strength import weakness

__all__ = ["MIN_WEBHOOK_SECRET_BYTES", "parse_webhook_secrets"]

MIN_WEBHOOK_SECRET_BYTES = 24
"""The shortest key Standard Webhooks recommends (24 to 64 random bytes)."""

_WEBHOOK_PREFIX = "whsec_"


def parse_webhook_secrets(raw: str) -> list[str]:
    """The secrets in one value (whitespace- or comma-separated, so a rotation can hold two).

    Raises:
        ValueError: no secret, or one that is not ``whsec_`` + base64 of at least
            :data:`MIN_WEBHOOK_SECRET_BYTES` bytes, or whose key is trivially guessable
            (:func:`shared.entry.key_strength.weakness`: all one byte, a pattern, too little
            entropy); says which by position, never the value.
    """
    secrets = [s for s in raw.replace(",", " ").split() if s]
    if not secrets:
        raise ValueError("holds no webhook secret")
    for position, secret in enumerate(secrets, start=1):
        if not secret.startswith(_WEBHOOK_PREFIX):
            raise ValueError(f"secret #{position} does not start with {_WEBHOOK_PREFIX}")
        encoded = secret[len(_WEBHOOK_PREFIX) :]
        try:  # unpadded base64 is common in such secrets
            key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError(f"secret #{position} is not base64 after {_WEBHOOK_PREFIX}") from None
        if problem := weakness(key, MIN_WEBHOOK_SECRET_BYTES):
            raise ValueError(f"secret #{position} has {problem}")
    return secrets
