"""The Authorization scheme is configuration: a sandbox that wants `Bearer` proves both ways."""

from __future__ import annotations

import pytest
from roit_pending import pending

from sandbox.control import SandboxControl
from shared.core.errors import AuthenticationError
from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity

pytestmark = pytest.mark.integration


def _client(url: str, scheme: str, retry_max_attempts: int = 1) -> RoitClient:
    return RoitClient(
        RoitSettings.model_validate(
            {
                "base_url": url,
                "integration_id": "9876c5d4-ba32-1098-7654-321f98765432",
                "client_id": "sandbox-client",
                "client_secret": "sandbox-secret",
                "auth_scheme": scheme,
                "retry_max_attempts": retry_max_attempts,
            }
        )
    )


def test_bearer_scheme_is_sent_when_configured(bearer_sandbox) -> None:
    client = _client(bearer_sandbox.url, "bearer")
    assert pending(client, PendingEntity.DOCUMENT) == []


def test_wrong_scheme_is_refused_after_one_renewal(bearer_sandbox) -> None:
    control = SandboxControl(bearer_sandbox.url)
    control.reset()
    client = _client(bearer_sandbox.url, "raw", retry_max_attempts=5)
    with pytest.raises(AuthenticationError):
        pending(client, PendingEntity.DOCUMENT)
    assert client.tokens.exchanges == 2  # the first token, then exactly one renewal
    assert control.stats()["calls"]["pending"] == {"401": 2}  # and no retries after that
