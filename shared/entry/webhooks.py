"""Partner webhooks signed the Standard Webhooks way, with rotation and replay protection.

The signature itself is computed by the ``standardwebhooks`` library; the headers are read
here, one field at a time, so that each failure has its own reason (decided by what was found,
never by an error's text) and one malformed signature among several cannot hide a valid one.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar, cast

import standardwebhooks

from shared.core.errors import ConfigurationError, RoitError, WebhookVerificationError
from shared.core.logs import get_logger, register_secret
from shared.core.secrets import SecretAccessError
from shared.entry.failures import report
from shared.entry.runtime import Runtime, cold_start
from shared.entry.settings import CallerAuth, ReprocessSettings
from shared.entry.webhook_once import run_webhook_once
from shared.entry.webhook_secrets import parse_webhook_secrets
from shared.idempotency.base import IdempotencyStore

__all__ = ["TOLERANCE_S", "WebhookVerifier", "verifier_for"]

TOLERANCE_S = 300.0
"""Standard Webhooks' timestamp tolerance: 5 minutes either way."""

T = TypeVar("T")
log = get_logger("webhooks")
_MAX_SIGNATURES = 16  # a rotation needs two; more is noise we do not spend HMACs on


def _candidates(header: str) -> list[bytes]:
    """The well-formed ``v1,<base64>`` signatures of a ``webhook-signature`` header."""
    found: list[bytes] = []
    for entry in header.split(" ")[: _MAX_SIGNATURES * 2]:
        version, sep, value = entry.partition(",")
        if version != "v1" or not sep:
            continue
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found[:_MAX_SIGNATURES]


def _timestamp(raw: str, now: float) -> datetime:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise WebhookVerificationError("webhook-timestamp is not a number of seconds")
    value = int(raw)
    if abs(value - now) > TOLERANCE_S:
        raise WebhookVerificationError("webhook-timestamp is outside the 5-minute tolerance")
    return datetime.fromtimestamp(value, UTC)


class WebhookVerifier:
    """Verifies ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature``.

    Args:
        secrets: returns the secrets in force (read on each call: it is cached upstream, so a
            rotation is picked up); any one of them may have signed.
        max_ids: how many recent ``webhook-id``s are remembered to refuse replays.
        clock: epoch-seconds clock.

        store: a shared idempotency store: :meth:`run` then claims the ``webhook-id`` there
            (:mod:`shared.entry.webhook_once`), so a replay is refused on every instance.

    Without a store, replays are refused per instance; a replay reaching another instance
    within the tolerance would pass, which the 5-minute window bounds.
    """

    def __init__(
        self,
        secrets: Callable[[], list[str]],
        *,
        max_ids: int = 100_000,
        clock: Callable[[], float] = time.time,
        store: IdempotencyStore | None = None,
    ) -> None:
        self._secrets = secrets
        self._store = store
        self._max_ids = max_ids
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Check the signature; returns the ``webhook-id``.

        Raises:
            WebhookVerificationError: with a short reason safe to show the caller.
        """
        webhook_id, _ = self._check(body, headers)
        self._remember(webhook_id)
        return webhook_id

    def _check(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, datetime]:
        """The signature check alone: the ``webhook-id`` and its signed timestamp."""
        lowered = {k.lower(): v for k, v in headers.items()}
        webhook_id = lowered.get("webhook-id", "")
        stamp, header = lowered.get("webhook-timestamp", ""), lowered.get("webhook-signature", "")
        if not (webhook_id and stamp and header):
            raise WebhookVerificationError(
                "missing webhook-id, webhook-timestamp or webhook-signature header"
            )
        if len(webhook_id) > 256:
            raise WebhookVerificationError("webhook-id is longer than 256 characters")
        timestamp = _timestamp(stamp.strip(), self._clock())
        candidates = _candidates(header)
        if not candidates:
            raise WebhookVerificationError("webhook-signature has no well-formed v1 signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookVerificationError("signature does not match") from None
        for secret in self._secrets():
            signed = standardwebhooks.Webhook(secret).sign(webhook_id, timestamp, text)
            expected = base64.b64decode(signed.partition(",")[2])
            if any(hmac.compare_digest(expected, candidate) for candidate in candidates):
                return webhook_id, timestamp
        raise WebhookVerificationError("signature does not match")

    def run(self, body: bytes, headers: Mapping[str, str], work: Callable[[], T]) -> T:
        """Verify, then ``work()``; the ``webhook-id`` stays spent only if ROIT may have acted.

        When the work fails and ROIT surely did nothing (a refused connection, a failed token
        exchange, a 4xx, invalid input), the id is forgotten so that the partner's retry of the
        same delivery is accepted. When ROIT may have acted (a lost answer, a gateway 5xx), the
        id stays spent: a replay could reprocess twice.

        Raises:
            WebhookVerificationError: the signature check failed; and whatever ``work`` raises.
        """
        if self._store is not None:  # shared: replays refused on every instance
            webhook_id, stamp = self._check(body, headers)
            answer = run_webhook_once(self._store, webhook_id, stamp, TOLERANCE_S, work)
            return cast(T, answer)  # work's result, or the stored answer as a response
        webhook_id = self.verify(body, headers)
        try:
            return work()
        except Exception as exc:
            if not (isinstance(exc, RoitError) and exc.ambiguous):
                self.forget(webhook_id)
            raise

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


def verifier_for(
    runtime: Runtime[ReprocessSettings], store: IdempotencyStore | None = None
) -> WebhookVerifier | None:
    """The deployment's verifier, or ``None`` when Cloud Run IAM vouches for callers.

    The secrets are read and checked now, at cold start: a malformed value stops the instance
    with an error naming the variable. A secret that cannot be read yet (no version added, an
    access grant still propagating: a first deployment; or Secret Manager failing) does not:
    the instance starts, logs it (a ``config_error`` when it is the deployment's to fix), and
    answers every request 503 until the secret can be read. They are read again, through the
    TTL cache, on every request, so a rotation is picked up.

    Raises:
        ConfigurationError: a secret's value is malformed.
    """
    settings = runtime.settings
    if settings.reprocess_caller_auth is not CallerAuth.WEBHOOK:
        return None
    variable, name = "ROIT_WEBHOOK_SECRETS_FILE", settings.webhook_secrets_file
    if not name:
        variable = "ROIT_WEBHOOK_SECRETS" if settings.webhook_secrets else variable[:-4] + "SECRET"
        name = None if settings.webhook_secrets else settings.webhook_secrets_secret

    def secrets() -> list[str]:
        if name is None:
            assert settings.webhook_secrets  # enforced by ReprocessSettings
            raw = settings.webhook_secrets.get_secret_value()
        else:  # a mounted file or a Secret Manager name, through the TTL cache
            raw = runtime.secrets.get(name, setting=variable)
        try:
            values = parse_webhook_secrets(raw)
        except ValueError as exc:
            raise ConfigurationError(str(exc), setting=variable) from None
        for value in values:
            register_secret(value)
        return values

    try:
        secrets()
    except SecretAccessError as exc:
        report(log, exc, "webhook secrets cannot be read yet; requests get 503 until they can", {})
    except RoitError as exc:
        with cold_start():
            raise ConfigurationError(f"{variable}: {exc.message}", setting=variable) from None
    return WebhookVerifier(secrets, store=store if store and store.shared else None)
