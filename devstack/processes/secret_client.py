"""The real Secret Manager client pointed at the local stand-in, and a helper to fill it."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.cloud.secretmanager import SecretManagerServiceClient

__all__ = ["create_secret", "local_client", "put_secret"]


def local_client(endpoint: str) -> SecretManagerServiceClient:
    """A `SecretManagerServiceClient` for `http://127.0.0.1:PORT`: REST, anonymous credentials."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import secretmanager

    return secretmanager.SecretManagerServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=endpoint),
    )


def create_secret(client: SecretManagerServiceClient, project: str, secret_id: str) -> None:
    """Create the secret, with no version, unless it exists."""
    from google.api_core.exceptions import AlreadyExists, Conflict

    with contextlib.suppress(AlreadyExists, Conflict):
        client.create_secret(
            request={
                "parent": f"projects/{project}",
                "secret_id": secret_id,
                "secret": {"replication": {"automatic": {}}},
            }
        )


def put_secret(
    client: SecretManagerServiceClient, project: str, secret_id: str, value: str | bytes
) -> str:
    """Create the secret if needed and add `value` as its newest version.

    Returns:
        The new version's name, `projects/P/secrets/S/versions/N`.
    """
    import google_crc32c

    data = value.encode() if isinstance(value, str) else value
    create_secret(client, project, secret_id)
    version = client.add_secret_version(
        request={
            "parent": f"projects/{project}/secrets/{secret_id}",
            "payload": {"data": data, "data_crc32c": google_crc32c.value(data)},
        }
    )
    return str(version.name)
