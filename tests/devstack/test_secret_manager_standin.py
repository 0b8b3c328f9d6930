"""The Secret Manager stand-in, driven by the real google-cloud-secret-manager client."""

from __future__ import annotations

import uuid

import google_crc32c
import httpx
import pytest
from google.api_core import exceptions

pytestmark = pytest.mark.integration


def _secret_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_create_add_and_access_latest(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    version_name = secret_manager.put(secret_id, '{"client_id": "a", "client_secret": "b"}')

    assert version_name == f"projects/roit-local/secrets/{secret_id}/versions/1"
    response = client.access_secret_version(
        name=f"projects/roit-local/secrets/{secret_id}/versions/latest"
    )
    assert response.name == version_name
    assert response.payload.data == b'{"client_id": "a", "client_secret": "b"}'
    assert response.payload.data_crc32c == google_crc32c.value(response.payload.data)


def test_rotation_changes_latest_and_keeps_numbered_versions(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    first = secret_manager.put(secret_id, "old")
    second = secret_manager.put(secret_id, "new")
    base = f"projects/roit-local/secrets/{secret_id}"

    assert client.access_secret_version(name=f"{base}/versions/latest").payload.data == b"new"
    assert client.access_secret_version(name=first).payload.data == b"old"
    assert client.access_secret_version(name=second).name == f"{base}/versions/2"
    listed = [v.name for v in client.list_secret_versions(parent=base)]
    assert listed == [second, first]


def test_get_secret_and_list_secrets(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    secret_manager.put(secret_id, "x")
    name = f"projects/roit-local/secrets/{secret_id}"

    assert client.get_secret(name=name).name == name
    assert name in [s.name for s in client.list_secrets(parent="projects/roit-local")]


def test_unknown_secret_and_version_raise_not_found(secret_manager):
    client = secret_manager.client()
    with pytest.raises(exceptions.NotFound):
        client.access_secret_version(name="projects/roit-local/secrets/nope/versions/latest")
    with pytest.raises(exceptions.NotFound):
        client.get_secret(name="projects/roit-local/secrets/nope")
    secret_id = _secret_id()
    secret_manager.put(secret_id, "x")
    with pytest.raises(exceptions.NotFound):
        client.access_secret_version(name=f"projects/roit-local/secrets/{secret_id}/versions/7")


def test_creating_an_existing_secret_conflicts(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    secret_manager.put(secret_id, "x")
    with pytest.raises(exceptions.Conflict):
        client.create_secret(
            request={"parent": "projects/roit-local", "secret_id": secret_id, "secret": {}}
        )


def test_disabled_and_destroyed_versions_cannot_be_accessed(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    first = secret_manager.put(secret_id, "one")
    second = secret_manager.put(secret_id, "two")

    assert client.disable_secret_version(name=second).state.name == "DISABLED"
    with pytest.raises(exceptions.BadRequest, match="DISABLED"):
        client.access_secret_version(name=second)
    assert client.enable_secret_version(name=second).state.name == "ENABLED"
    assert client.access_secret_version(name=second).payload.data == b"two"

    destroyed = client.destroy_secret_version(name=first)
    assert destroyed.state.name == "DESTROYED"
    with pytest.raises(exceptions.BadRequest, match="DESTROYED"):
        client.access_secret_version(name=first)


def test_a_wrong_checksum_is_rejected(secret_manager):
    client = secret_manager.client()
    secret_id = _secret_id()
    secret_manager.put(secret_id, "x")
    with pytest.raises(exceptions.BadRequest, match="Checksum"):
        client.add_secret_version(
            request={
                "parent": f"projects/roit-local/secrets/{secret_id}",
                "payload": {"data": b"abc", "data_crc32c": google_crc32c.value(b"abd")},
            }
        )


def test_errors_are_google_shaped_json(secret_manager):
    response = httpx.get(f"{secret_manager.endpoint}/v1/projects/p/secrets/missing")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": 404,
            "message": "Secret [projects/p/secrets/missing] not found or has no versions.",
            "status": "NOT_FOUND",
        }
    }
    assert httpx.get(f"{secret_manager.endpoint}/other").json()["error"]["status"] == "NOT_FOUND"
