"""The Secret Manager stand-in counts secret reads (the benchmark's figure 5 reads them)."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_every_successful_access_is_counted_per_secret(secret_manager) -> None:
    secret_id = f"reads-{uuid.uuid4().hex[:8]}"
    secret_manager.put(secret_id, "value")
    name = f"projects/{secret_manager.project}/secrets/{secret_id}"
    client = secret_manager.client()
    for _ in range(3):
        client.access_secret_version(name=f"{name}/versions/latest")
    counts = httpx.get(secret_manager.endpoint + "/_standin/stats").json()["accessCount"]
    assert counts[name] == 3
