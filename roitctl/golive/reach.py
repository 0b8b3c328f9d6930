"""How smoke reaches a deployment: where each function's settings are read and how
poll-pending is called — in the cloud, or on the local stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from roitctl.environment import Deployment
from roitctl.golive.smoke import EnvSource

__all__ = ["cloud_source", "env_dir_source", "identity_post", "plain_post"]


def env_dir_source(directory: Path) -> EnvSource:
    """Locally: ``<directory>/<name>.env`` (the local stack writes them, ``_`` for ``-``); the
    entry point is the name when it is one (``reprocess-webhook``'s is inferred)."""
    import os

    from roitctl.doctor.run import Kind
    from roitctl.environment import Deployment, command_environment, read_env_file

    def env_of(name: str) -> Deployment:
        label = name.replace("-", "_")
        path = directory / f"{label}.env"
        if not path.exists():
            path = directory / f"{name}.env"
        entry = label if label in {k.value for k in Kind} else None
        return Deployment(name, entry, command_environment(os.environ, read_env_file(path)))

    return env_of


def cloud_source(project: str, region: str) -> EnvSource:
    """In the cloud: each function's configuration from the Functions API."""
    import os
    from dataclasses import replace

    from roitctl.environment import command_environment, deployed_environment

    def env_of(name: str) -> Deployment:
        deployment = deployed_environment(name, project=project, region=region)
        return replace(
            deployment, environment=command_environment(os.environ, deployment.environment)
        )

    return env_of


def plain_post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST with no credentials (the local stack checks none)."""
    import httpx

    answer = httpx.post(url, json=body, timeout=300)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, None


def identity_post(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    """POST with an identity token for ``url`` (the team group is poll-pending's invoker):
    from Application Default Credentials, else ``gcloud auth print-identity-token``."""
    import subprocess

    import httpx

    try:
        import google.auth.transport.requests
        from google.oauth2 import id_token

        request = google.auth.transport.requests.Request()
        token = id_token.fetch_id_token(request, url)  # type: ignore[no-untyped-call]
    except Exception:  # noqa: BLE001 - user credentials cannot mint one: gcloud can
        token = subprocess.run(
            ["gcloud", "auth", "print-identity-token"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
    answer = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=300)
    try:
        return answer.status_code, answer.json()
    except ValueError:
        return answer.status_code, None
