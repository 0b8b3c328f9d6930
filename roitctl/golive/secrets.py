"""The secret values in Secret Manager: a new version only when the value changes.

The ROIT client credentials come from a file or standard input (never argv, never echoed);
the webhook secret is generated here. Values are compared with the latest enabled version,
so a re-run adds nothing; nothing here prints, logs or returns a value except
:meth:`SecretValues.webhook_secrets` (for the hand-over's one explicit print).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from typing import Any

from shared.entry.webhook_secrets import parse_webhook_secrets

__all__ = [
    "CREDENTIALS_SECRET",
    "WEBHOOK_SECRET",
    "SecretValues",
    "SecretsError",
    "credentials_json",
    "new_webhook_secret",
]

CREDENTIALS_SECRET = "roit-api-credentials"
WEBHOOK_SECRET = "roit-webhook-secrets"
"""The secrets terraform/secrets.tf creates (values added out of band: here)."""

WEBHOOK_KEY_BYTES = 32


class SecretsError(Exception):
    """Secret Manager refused or the input is unusable; the message never holds a value."""


def new_webhook_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes (Standard Webhooks asks 24 to 64)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(WEBHOOK_KEY_BYTES)).decode("ascii")


def credentials_json(raw: str) -> str:
    """The credentials secret's value from what the operator gave: JSON with ``client_id``
    and ``client_secret`` (camelCase accepted), written back in one canonical form.

    Raises:
        SecretsError: not that JSON (the text is never quoted).
    """
    try:
        doc = json.loads(raw)
        client_id = doc.get("client_id") or doc["clientId"]
        client_secret = doc.get("client_secret") or doc["clientSecret"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SecretsError(
            'the credentials must be JSON: {"client_id": "...", "client_secret": "..."}'
        ) from None
    if not (isinstance(client_id, str) and isinstance(client_secret, str)) or not (
        client_id.strip() and client_secret.strip()
    ):
        raise SecretsError("the credentials' client_id and client_secret must be non-empty text")
    return json.dumps({"client_id": client_id, "client_secret": client_secret})


def _problem(exc: Exception) -> str:
    """An API error, by kind and code only (messages may quote a resource, never a value)."""
    code = getattr(exc, "code", None)
    return f"{type(exc).__name__}{f' ({int(code)})' if isinstance(code, int) else ''}"


@dataclass
class SecretValues:
    """The deployment's two secrets in one project (Google's service, or a local stand-in).

    Args:
        project: the project.
        endpoint: ``http://127.0.0.1:PORT`` of a stand-in (REST, anonymous), or ``None``.
    """

    project: str
    endpoint: str | None = None
    _client: Any = None

    def client(self) -> Any:
        """The real ``SecretManagerServiceClient``, built on first use."""
        if self._client is None:
            from google.cloud import secretmanager

            if not self.endpoint:
                self._client = secretmanager.SecretManagerServiceClient()
            else:
                from google.api_core.client_options import ClientOptions
                from google.auth.credentials import AnonymousCredentials

                self._client = secretmanager.SecretManagerServiceClient(
                    transport="rest",
                    credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
                    client_options=ClientOptions(api_endpoint=self.endpoint),
                )
        return self._client

    def _name(self, secret: str) -> str:
        return f"projects/{self.project}/secrets/{secret}"

    def latest(self, secret: str) -> str | None:
        """The latest version's value, or ``None`` when the secret has no version yet.

        Raises:
            SecretsError: the secret does not exist (Terraform creates it) or cannot be read.
        """
        from google.api_core import exceptions as gexc

        try:
            self.client().get_secret(request={"name": self._name(secret)})
        except gexc.NotFound:
            raise SecretsError(
                f"secret {secret} does not exist in {self.project}: apply terraform/ first "
                "(it creates the secret), or pass --skip-secrets to write the tfvars only"
            ) from None
        except Exception as exc:  # noqa: BLE001 - permissions, network: say which
            raise SecretsError(f"cannot read secret {secret}: {_problem(exc)}") from None
        try:
            response = self.client().access_secret_version(
                request={"name": f"{self._name(secret)}/versions/latest"}
            )
        except gexc.NotFound:
            return None
        except gexc.FailedPrecondition:  # the latest version is disabled or destroyed
            return None
        except Exception as exc:  # noqa: BLE001
            raise SecretsError(f"cannot read secret {secret}: {_problem(exc)}") from None
        data: bytes = response.payload.data
        return data.decode("utf-8")

    def put(self, secret: str, value: str) -> str | None:
        """Add ``value`` as a new version unless the latest already holds it.

        Returns:
            The new version's number, or ``None`` when nothing was added.

        Raises:
            SecretsError: Secret Manager refused.
        """
        if self.latest(secret) == value:
            return None
        import google_crc32c

        data = value.encode("utf-8")
        try:
            version = self.client().add_secret_version(
                request={
                    "parent": self._name(secret),
                    "payload": {"data": data, "data_crc32c": google_crc32c.value(data)},
                }
            )
        except Exception as exc:  # noqa: BLE001
            raise SecretsError(f"cannot add a version to {secret}: {_problem(exc)}") from None
        return str(version.name).rsplit("/", 1)[-1]

    def webhook_secrets(self) -> list[str]:
        """The webhook secrets in force (``[]`` when none yet).

        Raises:
            SecretsError: the value is not ``whsec_`` secrets (says which, never the value).
        """
        raw = self.latest(WEBHOOK_SECRET)
        if raw is None or not raw.strip():
            return []
        try:
            return parse_webhook_secrets(raw)
        except ValueError as exc:
            raise SecretsError(f"secret {WEBHOOK_SECRET}: {exc}") from None

    def ensure_webhook_secret(self, *, regenerate: bool = False) -> str | None:
        """A webhook secret if there is none (or a fresh one replacing all, when asked).

        Returns:
            The new version's number, or ``None`` when one was already there.
        """
        if self.webhook_secrets() and not regenerate:
            return None
        return self.put(WEBHOOK_SECRET, new_webhook_secret())

    def rotate_webhook_secret(self) -> str:
        """Add a second secret beside the one in force (both verify until ``retire``).

        Raises:
            SecretsError: no secret yet (run setup), or a rotation already under way.
        """
        current = self.webhook_secrets()
        if not current:
            raise SecretsError("no webhook secret yet: run roitctl setup first")
        if len(current) > 1:
            raise SecretsError(
                "a rotation is already under way (two secrets): give the partner the new one, "
                "then run roitctl webhook-secret retire"
            )
        version = self.put(WEBHOOK_SECRET, f"{current[0]} {new_webhook_secret()}")
        assert version is not None  # a fresh random secret always changes the value
        return version

    def retire_webhook_secret(self) -> str:
        """Keep only the newest secret (the one ``rotate`` added).

        Raises:
            SecretsError: no rotation under way.
        """
        current = self.webhook_secrets()
        if len(current) < 2:
            raise SecretsError("no rotation under way: nothing to retire")
        version = self.put(WEBHOOK_SECRET, current[-1])
        assert version is not None
        return version
