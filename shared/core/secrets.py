"""Secrets from Secret Manager, cached per secret with a TTL so a rotation is picked up.

:class:`SecretProvider.get` owns caching, expiry, thread-safety and error wrapping; a backend
only writes ``_fetch``. :class:`SecretManagerProvider` is the real one
(google-cloud-secret-manager, imported on first use so importing this module costs nothing);
pointed at a local stand-in it uses the REST transport, anonymous credentials and the local
``api_endpoint``.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.core import deadline
from shared.core.errors import ConfigurationError, Failure, RoitError
from shared.core.lazy import Lazy
from shared.core.logs import register_secret
from shared.core.settings import RoitSettings

__all__ = [
    "RoitCredentials",
    "SecretAccessError",
    "SecretManagerProvider",
    "SecretProvider",
    "credentials_source",
    "load_credentials",
    "secret_version_name",
]

_SECRET_TIMEOUT_S = 2.0  # one attempt: Secret Manager answers in tens of milliseconds
_SECRET_RETRY_S = 5.0  # every attempt: Secret Manager's own deadline, inside the invocation's


class SecretAccessError(RoitError):
    """A secret could not be read: a configuration failure (missing, forbidden, a disabled or
    destroyed version, a malformed value) unless Secret Manager itself failed (unavailable,
    hanging, answering garbage: ``failure=SECRET_STORE``, never blamed on ROIT). Never
    ambiguous."""

    failure = Failure.CONFIGURATION


def secret_version_name(name: str, project: str | None) -> str:
    """Full version resource name for a short name, a secret name or a version name.

    Raises:
        ConfigurationError: a short name without a project.
    """
    if name.startswith("projects/"):
        return name if "/versions/" in name else f"{name}/versions/latest"
    if not project:
        raise ConfigurationError(
            f"secret {name!r} is a short name: set ROIT_GCP_PROJECT or give projects/P/secrets/S"
        )
    return f"projects/{project}/secrets/{name}/versions/latest"


@dataclass
class _Entry:
    value: str
    expires_at: float


class SecretProvider(ABC):
    """Cached access to secret values.

    Args:
        ttl_s: how long a value is served from the cache before it is read again.
        clock: the clock the TTL is measured on (seconds; injectable for tests).
    """

    def __init__(
        self, ttl_s: float = 300.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, _Entry] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, *, setting: str | None = None) -> str:
        """The secret's current value, from the cache while it is fresh.

        One read per secret at a time: concurrent callers on a cold cache wait for it.

        Args:
            name: the secret (short name or resource name).
            setting: the variable that named it, for the error an operator reads.

        Raises:
            SecretAccessError: the backend failed (``setting`` names the variable).
        """
        entry = self._cache.get(name)
        if entry and entry.expires_at > self._clock():
            return entry.value
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            entry = self._cache.get(name)
            if entry and entry.expires_at > self._clock():
                return entry.value
            try:
                value = self._fetch(name)
            except SecretAccessError as exc:
                if setting:
                    exc.setting = setting
                raise
            self._cache[name] = _Entry(value, self._clock() + self._ttl_s)
            return value

    def invalidate(self, name: str) -> None:
        """Forget one cached secret, e.g. after ROIT refused the credentials."""
        self._cache.pop(name, None)

    @abstractmethod
    def _fetch(self, name: str) -> str:
        """Read the secret's value from the backend."""


class SecretManagerProvider(SecretProvider):
    """Google Secret Manager (or a local stand-in speaking its REST API).

    Args:
        project: project for short secret names.
        ttl_s: cache lifetime.
        endpoint: a local ``http://host:port`` stand-in; ``None`` for Google's service.
        clock: the cache's clock (see :class:`SecretProvider`).
    """

    def __init__(
        self,
        *,
        project: str | None,
        ttl_s: float = 300.0,
        endpoint: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        super().__init__(ttl_s=ttl_s, clock=clock)
        self._project = project
        self._endpoint = endpoint
        self._client: Lazy[Any] = Lazy(self._build_client)

    def _build_client(self) -> Any:
        from google.cloud import secretmanager

        if not self._endpoint:
            return secretmanager.SecretManagerServiceClient()
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return secretmanager.SecretManagerServiceClient(
            transport="rest",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=self._endpoint),
        )

    def _fetch(self, name: str) -> str:
        from google.api_core import exceptions as gexc
        from google.api_core import retry as gretry

        version = secret_version_name(name, self._project)
        left = min(deadline.remaining(), _SECRET_RETRY_S)  # the library's own would be 60 s
        if left <= 0:
            raise SecretAccessError(
                f"no time left to read {version} from Secret Manager", failure=Failure.DEADLINE
            )
        try:
            response = self._client.get().access_secret_version(
                request={"name": version},
                retry=gretry.Retry(initial=0.1, maximum=1.0, multiplier=2.0, timeout=left),
                timeout=min(left, _SECRET_TIMEOUT_S),
            )
        except gexc.GoogleAPICallError as exc:
            raise _access_error(version, exc) from None
        except Exception as exc:  # noqa: BLE001 - transport errors, garbage, an exhausted retry
            raise SecretAccessError(
                f"Secret Manager is unavailable reading {version} ({type(exc).__name__})",
                failure=Failure.SECRET_STORE,
            ) from None
        data: bytes = response.payload.data
        if response.payload.data_crc32c:
            import google_crc32c

            if google_crc32c.value(data) != response.payload.data_crc32c:
                raise SecretAccessError(
                    f"Secret Manager answered {version} with a payload failing its CRC32C check",
                    failure=Failure.SECRET_STORE,
                )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise SecretAccessError(f"secret {version} is malformed: not UTF-8 text") from None


def _access_error(version: str, exc: Any) -> SecretAccessError:
    """A refusal by Secret Manager, classified: a status that says the version cannot be used
    (missing, forbidden, disabled or destroyed, a bad name) is the deployment's to fix; any
    other (unavailable, overloaded, timed out, internal) is Secret Manager failing."""
    code = exc.code  # the HTTP status google.api_core gives every API error
    name = type(exc).__name__
    if isinstance(code, int) and 400 <= code < 500 and code not in (408, 429):
        why = "disabled or destroyed?" if code == 400 else "missing, or not granted?"
        return SecretAccessError(f"secret {version} cannot be read ({name}): {why}")
    return SecretAccessError(
        f"Secret Manager is unavailable reading {version} ({name})", failure=Failure.SECRET_STORE
    )


@dataclass(frozen=True)
class RoitCredentials:
    """ROIT API credentials. ``repr`` hides the secret."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"RoitCredentials(client_id={self.client_id!r}, client_secret='***')"


def credentials_source(settings: RoitSettings) -> tuple[str | None, str]:
    """Where the credentials secret is read, and the variable that says so: a mounted file
    (``ROIT_CREDENTIALS_FILE``), else a Secret Manager name (``ROIT_CREDENTIALS_SECRET``);
    ``(None, ...)`` when the credentials come from the environment."""
    if settings.credentials_file:
        return settings.credentials_file, "ROIT_CREDENTIALS_FILE"
    return settings.credentials_secret, "ROIT_CREDENTIALS_SECRET"


def load_credentials(settings: RoitSettings, secrets: SecretProvider | None) -> RoitCredentials:
    """ROIT credentials from the credentials secret (a mounted file or a Secret Manager name),
    else from the environment.

    The secret holds JSON ``{"client_id": "...", "client_secret": "..."}`` (camelCase keys
    accepted too).

    Raises:
        SecretAccessError: the secret cannot be read or is not that JSON.
    """
    name, setting = credentials_source(settings)
    if name:
        if secrets is None:
            raise ConfigurationError(f"{setting} is set but no secret provider")
        raw = secrets.get(name, setting=setting)
        try:
            doc = json.loads(raw)
            client_id = doc.get("client_id") or doc["clientId"]
            client_secret = doc.get("client_secret") or doc["clientSecret"]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SecretAccessError(
                f"secret {name!r} is not JSON with client_id and client_secret", setting=setting
            ) from None
        credentials = RoitCredentials(str(client_id), str(client_secret))
    else:
        assert settings.client_id and settings.client_secret  # enforced by RoitSettings
        credentials = RoitCredentials(settings.client_id, settings.client_secret.get_secret_value())
    register_secret(credentials.client_secret)
    return credentials
