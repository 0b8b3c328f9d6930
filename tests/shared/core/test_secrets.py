"""Secrets through the real google-cloud-secret-manager client against the local stand-in."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from shared.core.errors import ConfigurationError, Failure, TokenExchangeError
from shared.core.secrets import (
    SecretAccessError,
    SecretManagerProvider,
    load_credentials,
    secret_version_name,
)
from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity

pytestmark = pytest.mark.integration


def _name() -> str:
    return f"s-{uuid.uuid4().hex[:10]}"


def _provider(secret_manager, ttl_s: float = 300.0) -> SecretManagerProvider:
    return SecretManagerProvider(
        project=secret_manager.project, ttl_s=ttl_s, endpoint=secret_manager.endpoint
    )


def test_reads_latest_and_caches_until_ttl(secret_manager) -> None:
    name = _name()
    secret_manager.put(name, "v1")
    now = [0.0]
    provider = SecretManagerProvider(
        project=secret_manager.project, ttl_s=0.5, endpoint=secret_manager.endpoint,
        clock=lambda: now[0],
    )  # fmt: skip
    assert provider.get(name) == "v1"
    secret_manager.put(name, "v2")  # rotation
    assert provider.get(name) == "v1"  # still cached
    now[0] += 0.6  # the TTL passes on the cache's clock
    assert provider.get(name) == "v2"  # picked up after the TTL, no redeploy


def test_full_resource_names_and_pinned_versions(secret_manager) -> None:
    name = _name()
    first = secret_manager.put(name, "one")
    secret_manager.put(name, "two")
    provider = _provider(secret_manager)
    assert provider.get(first) == "one"
    assert provider.get(f"projects/{secret_manager.project}/secrets/{name}") == "two"


def test_unknown_secret_is_a_configuration_error_naming_the_variable(secret_manager) -> None:
    with pytest.raises(SecretAccessError) as info:
        _provider(secret_manager).get("never-created", setting="ROIT_CREDENTIALS_SECRET")
    assert info.value.failure is Failure.CONFIGURATION
    assert info.value.setting == "ROIT_CREDENTIALS_SECRET"
    assert info.value.ambiguous is False


def test_unreachable_secret_manager_is_transient() -> None:
    from shared.core.deadline import deadline_scope

    provider = SecretManagerProvider(project="p", endpoint="http://127.0.0.1:9")
    with deadline_scope(1.0), pytest.raises(SecretAccessError) as info:
        provider.get("x")  # retried until the deadline
    assert info.value.failure is Failure.SECRET_STORE


@pytest.fixture
def failing_secret_manager():
    """A Secret Manager that answers 503 UNAVAILABLE (``mode["stall"]``: never answers)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    mode = {"stall": False, "hits": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            mode["hits"] += 1
            if mode["stall"]:
                time.sleep(15)
                return
            body = json.dumps({"error": {"code": 503, "status": "UNAVAILABLE"}}).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", mode
    finally:
        server.shutdown()


@pytest.mark.parametrize("stall", [False, True])
def test_a_failing_secret_manager_is_given_no_more_than_the_deadline(
    failing_secret_manager, stall
) -> None:
    from shared.core.deadline import deadline_scope

    endpoint, mode = failing_secret_manager
    mode["stall"] = stall
    provider = SecretManagerProvider(project="p", endpoint=endpoint)
    started = time.monotonic()
    with deadline_scope(1.5), pytest.raises(SecretAccessError) as info:
        provider.get("x")
    assert time.monotonic() - started < 1.5 + 0.5  # not the library's own 60 s of retries
    assert info.value.failure is Failure.SECRET_STORE
    assert mode["hits"] >= 1 if stall else mode["hits"] > 1  # retried while time was left
    with deadline_scope(0), pytest.raises(SecretAccessError, match="no time left"):
        provider.get("x")


def test_short_name_needs_a_project() -> None:
    with pytest.raises(ConfigurationError):
        secret_version_name("roit-api-credentials", None)


def _settings(sandbox, secret_manager, secret: str, **extra: object) -> RoitSettings:
    return RoitSettings.model_validate(
        {
            "base_url": sandbox.url,
            "integration_id": sandbox.integration_id,
            "credentials_secret": secret,
            "gcp_project": secret_manager.project,
            "secret_manager_endpoint": secret_manager.endpoint,
            "retry_max_attempts": 1,
            **extra,
        }
    )


def test_client_reads_credentials_from_secret_manager_and_survives_rotation(
    sandbox, secret_manager
) -> None:
    name = _name()
    secret_manager.put(name, json.dumps({"client_id": sandbox.client_id, "client_secret": "old"}))
    client = RoitClient(_settings(sandbox, secret_manager, name))
    try:
        with pytest.raises(TokenExchangeError):
            _pending(client)
        # The operator rotates the secret; the refused credentials were dropped from the
        # cache, so the next call reads the new version without waiting for the TTL.
        secret_manager.put(
            name, json.dumps({"clientId": sandbox.client_id, "clientSecret": sandbox.client_secret})
        )
        assert _pending(client) == []
    finally:
        client.close()


def test_credentials_secret_must_be_json_with_both_fields(sandbox, secret_manager) -> None:
    name = _name()
    secret_manager.put(name, "just-a-password")
    settings = _settings(sandbox, secret_manager, name)
    with pytest.raises(SecretAccessError, match="client_id and client_secret") as info:
        load_credentials(settings, _provider(secret_manager))
    assert "just-a-password" not in str(info.value)


def _pending(client: RoitClient) -> list[object]:
    """One pending page's entities (the client reads a page; the poller, its items)."""
    page = client.pending_page(client.pending_request(PendingEntity.DOCUMENT))
    assert page.items is not None
    return [raw for raw, _ in page.items]
