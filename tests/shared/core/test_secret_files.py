"""Secrets mounted as files (ROIT_CREDENTIALS_FILE, ROIT_WEBHOOK_SECRETS_FILE): a real file, the
same TTL cache and failure semantics as Secret Manager's, a rotation with the TTL passed by an
injected clock, and no client library loaded to read them."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from shared.core.errors import (
    ConfigurationError,
    Failure,
    TokenExchangeError,
    WebhookVerificationError,
)
from shared.core.lazy import Lazy
from shared.core.secret_files import MAX_SECRET_FILE_BYTES, MountedSecretProvider, provider_for
from shared.core.secrets import SecretAccessError, load_credentials
from shared.core.settings import RoitSettings, load_settings
from shared.entry.settings import ReprocessSettings
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity
from tests.shared.entry.test_webhooks import sign
from tests.shared.roit.roit_pending import pending

pytestmark = pytest.mark.integration


class Clock:
    """Monotonic seconds that pass only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _provider(clock: Clock, ttl_s: float = 300.0) -> MountedSecretProvider:
    return MountedSecretProvider(project="p", ttl_s=ttl_s, clock=clock)


def test_a_mounted_file_is_cached_until_the_ttl_then_read_again(tmp_path: Path) -> None:
    path, clock = tmp_path / "secret", Clock()
    path.write_text("v1")
    provider = _provider(clock, ttl_s=60)
    assert provider.get(str(path)) == "v1"
    path.write_text("v2")  # the platform serves the rotated version
    clock.now += 59
    assert provider.get(str(path)) == "v1"  # still within the TTL
    clock.now += 2
    assert provider.get(str(path)) == "v2"  # picked up after it, no redeploy
    path.write_text("v3")
    provider.invalidate(str(path))
    assert provider.get(str(path)) == "v3"  # e.g. after ROIT refused the credentials


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        (b"", "is empty"),
        (b" \n", "is empty"),
        (b"\xff\xfehunter2", "is not UTF-8"),
        (b"hunter2" * (MAX_SECRET_FILE_BYTES // 7 + 1), "larger than"),
    ],
)
def test_an_unreadable_mounted_secret_is_a_configuration_error_naming_the_setting(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    path = tmp_path / "secret"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SecretAccessError, match=problem) as info:
        _provider(Clock()).get(str(path), setting="ROIT_CREDENTIALS_FILE")
    assert info.value.failure is Failure.CONFIGURATION
    assert info.value.setting == "ROIT_CREDENTIALS_FILE"
    assert str(path) in str(info.value) and "hunter2" not in str(info.value)


def test_a_directory_where_the_file_should_be_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SecretAccessError, match="cannot be read") as info:
        _provider(Clock()).get(str(tmp_path), setting="ROIT_CREDENTIALS_FILE")
    assert info.value.failure is Failure.CONFIGURATION


def _file_settings(path: Path, **extra: object) -> RoitSettings:
    return RoitSettings.model_validate(
        {
            "base_url": "http://roit.test",
            "integration_id": "i",
            "credentials_file": str(path),
            **extra,
        }
    )


def test_malformed_credentials_in_a_file_name_the_setting_never_the_value(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text("just-a-password")
    settings = _file_settings(path)
    with pytest.raises(SecretAccessError, match="client_id and client_secret") as info:
        load_credentials(settings, provider_for(settings))
    assert info.value.setting == "ROIT_CREDENTIALS_FILE"
    assert "just-a-password" not in str(info.value)


def test_credentials_from_a_file_follow_a_rotation_within_the_ttl(tmp_path: Path) -> None:
    path, clock = tmp_path / "credentials", Clock()
    path.write_text(json.dumps({"client_id": "a", "client_secret": "old"}))
    settings = _file_settings(path, secret_ttl_s=300)
    provider = MountedSecretProvider(project=None, ttl_s=settings.secret_ttl_s, clock=clock)
    assert load_credentials(settings, provider).client_secret == "old"
    path.write_text(json.dumps({"clientId": "a", "clientSecret": "new"}))
    assert load_credentials(settings, provider).client_secret == "old"
    clock.now += 301
    assert load_credentials(settings, provider).client_secret == "new"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"credentials_file": "relative/path"}, "ROIT_CREDENTIALS_FILE must be an absolute path"),
        (
            {"credentials_file": "/run/c", "credentials_secret": "s", "gcp_project": "p"},
            "set ROIT_CREDENTIALS_FILE or ROIT_CREDENTIALS_SECRET, not both",
        ),
        ({}, "set ROIT_CREDENTIALS_FILE, or ROIT_CREDENTIALS_SECRET, or ROIT_CLIENT_ID"),
    ],
)
def test_the_credentials_source_is_checked_at_start(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], problem: str
) -> None:
    monkeypatch.setenv("ROIT_BASE_URL", "http://roit.test")
    monkeypatch.setenv("ROIT_INTEGRATION_ID", "i")
    for name, value in values.items():
        monkeypatch.setenv(f"ROIT_{name.upper()}", value)
    with pytest.raises(ConfigurationError, match=problem):
        load_settings(RoitSettings)


def test_reading_a_mounted_secret_loads_no_client_library(tmp_path: Path) -> None:
    """The point of the mount: the cold path imports no gRPC, protobuf or google-auth."""
    path = tmp_path / "credentials"
    path.write_text(json.dumps({"client_id": "a", "client_secret": "b"}))
    script = (
        "import sys\n"
        "from shared.core.secrets import load_credentials\n"
        "from shared.core.secret_files import provider_for\n"
        "from shared.core.settings import RoitSettings, load_settings\n"
        "settings = load_settings(RoitSettings)\n"
        "assert load_credentials(settings, provider_for(settings)).client_secret == 'b'\n"
        "heavy = ('grpc', 'google.cloud.secretmanager', 'google.auth', 'google.protobuf', "
        "'google.api_core', 'cryptography')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "print(loaded)\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ROIT_")},
        "ROIT_BASE_URL": "http://roit.test",
        "ROIT_INTEGRATION_ID": "i",
        "ROIT_CREDENTIALS_FILE": str(path),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_the_client_reads_credentials_from_a_file_and_survives_a_rotation(
    sandbox, tmp_path: Path
) -> None:
    path = tmp_path / "credentials"
    path.write_text(json.dumps({"client_id": sandbox.client_id, "client_secret": "old"}))
    settings = RoitSettings.model_validate(
        {
            "base_url": sandbox.url,
            "integration_id": sandbox.integration_id,
            "credentials_file": str(path),
            "retry_max_attempts": 1,
        }
    )
    client = RoitClient(settings)
    try:
        with pytest.raises(TokenExchangeError):
            pending(client, PendingEntity.DOCUMENT)
        # The operator adds a version; the refused credentials were dropped from the cache,
        # so the next call reads the file again without waiting for the TTL.
        path.write_text(
            json.dumps({"clientId": sandbox.client_id, "clientSecret": sandbox.client_secret})
        )
        assert pending(client, PendingEntity.DOCUMENT) == []
    finally:
        client.close()


def _whsec() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def test_webhook_secrets_from_a_file_follow_a_rotation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shared.entry.runtime import Runtime
    from shared.entry.webhooks import verifier_for

    old, new, path, clock = _whsec(), _whsec(), tmp_path / "webhook", Clock()
    path.write_text(old + "\n")
    for name, value in {
        "BASE_URL": "http://roit.test",
        "INTEGRATION_ID": "i",
        "CLIENT_ID": "a",
        "CLIENT_SECRET": "b",
        "WEBHOOK_SECRETS_FILE": str(path),
        "SECRET_TTL_S": "60",
    }.items():
        monkeypatch.setenv(f"ROIT_{name}", value)
    runtime = Runtime(ReprocessSettings)
    runtime._secrets = Lazy(lambda: MountedSecretProvider(project=None, ttl_s=60, clock=clock))
    verifier = verifier_for(runtime)
    assert verifier is not None
    body = b'{"a": 1}'
    assert verifier.verify(body, sign(old, body, "m1")) == "m1"
    path.write_text(f"{new} {old}")  # rotation: both in force for a while
    with pytest.raises(WebhookVerificationError):  # the cached value holds within the TTL
        verifier.verify(body, sign(new, body, "m2"))
    clock.now += 61
    assert verifier.verify(body, sign(new, body, "m2")) == "m2"


def test_a_malformed_webhook_secrets_file_stops_the_cold_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from shared.entry.runtime import Runtime
    from shared.entry.webhooks import verifier_for

    path = tmp_path / "webhook"
    path.write_text("whsec_dG9vc2hvcnQ=")
    for name, value in {
        "BASE_URL": "http://roit.test",
        "INTEGRATION_ID": "i",
        "CLIENT_ID": "a",
        "CLIENT_SECRET": "b",
        "WEBHOOK_SECRETS_FILE": str(path),
    }.items():
        monkeypatch.setenv(f"ROIT_{name}", value)
    with pytest.raises(ConfigurationError, match="ROIT_WEBHOOK_SECRETS_FILE") as caught:
        verifier_for(Runtime(ReprocessSettings))
    assert "dG9vc2hvcnQ" not in str(caught.value)


def test_a_secret_by_name_goes_through_the_client_and_follows_a_rotation(secret_manager) -> None:
    """The same provider, given a Secret Manager name: the client-library path, same cache."""
    name, clock = f"s-{uuid.uuid4().hex[:10]}", Clock()
    secret_manager.put(name, "v1")
    provider = MountedSecretProvider(
        project=secret_manager.project, ttl_s=60, endpoint=secret_manager.endpoint, clock=clock
    )
    assert provider.get(name) == "v1"
    secret_manager.put(name, "v2")
    clock.now += 59
    assert provider.get(name) == "v1"
    clock.now += 2
    assert provider.get(name) == "v2"
