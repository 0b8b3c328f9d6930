"""Google API clients, built with Application Default Credentials, or for the Pub/Sub emulator
when ``PUBSUB_EMULATOR_HOST`` is set (the client library honours it itself)."""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "ADC_HINT",
    "api_problem",
    "caller_refused",
    "credentials_problem",
    "default_project",
    "on_emulator",
    "publisher_client",
    "subscriber_client",
]

ADC_HINT = "run `gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS)"


def on_emulator() -> bool:
    """Whether Pub/Sub is the local emulator (``PUBSUB_EMULATOR_HOST``)."""
    return bool(os.environ.get("PUBSUB_EMULATOR_HOST"))


def default_project() -> str | None:
    """``ROIT_GCP_PROJECT``, ``GOOGLE_CLOUD_PROJECT``, else the credentials' own project."""
    for name in ("ROIT_GCP_PROJECT", "GOOGLE_CLOUD_PROJECT", "GCP_PROJECT"):
        if value := os.environ.get(name):
            return value
    if on_emulator():
        return None
    try:
        import google.auth

        _, project = google.auth.default()
    except Exception:  # noqa: BLE001 - no credentials: no project either
        return None
    return str(project) if project else None


def publisher_client() -> Any:
    """A Pub/Sub publisher (GAPIC) client."""
    from google.pubsub_v1 import PublisherClient

    return PublisherClient()


def subscriber_client() -> Any:
    """A Pub/Sub subscriber (GAPIC) client."""
    from google.pubsub_v1 import SubscriberClient

    return SubscriberClient()


def credentials_problem(error: BaseException) -> str | None:
    """One line saying what to run, when ``error`` is Google refusing who the caller is or
    where it points: no Application Default Credentials, credentials refused or expired, no
    permission, no such project (or resource); ``None`` for any other error.

    Every command's error goes through this one mapping (:func:`roitctl.cli.main`).
    """
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    if not (caller_refused(error) or isinstance(error, gexc.NotFound)):
        return None
    if isinstance(error, auth_exc.DefaultCredentialsError):
        return f"no Application Default Credentials: {ADC_HINT}"
    if isinstance(error, auth_exc.RefreshError | gexc.Unauthenticated):
        return f"your credentials were refused (expired or revoked?): {ADC_HINT}"
    if isinstance(error, gexc.Forbidden):  # PermissionDenied is one
        return (
            "permission denied to your credentials: check --project, and grant the roles the "
            "README lists (Operator CLI), or `gcloud auth application-default login` as an "
            "account that has them"
        )
    return (
        "Google Cloud found no such project or resource: check --project "
        "(or ROIT_GCP_PROJECT) and the names given"
    )


def caller_refused(error: BaseException) -> bool:
    """Whether Google refused the caller itself (no credentials, refused ones, no permission),
    whatever resource was asked for."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    refused = (
        auth_exc.DefaultCredentialsError,
        auth_exc.RefreshError,
        gexc.Unauthenticated,
        gexc.Forbidden,
    )
    return isinstance(error, refused)


def api_problem(error: BaseException) -> str:
    """What a Google API failure means for the operator (never a message body)."""
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    name = type(error).__name__
    if isinstance(error, auth_exc.DefaultCredentialsError):
        return f"no Application Default Credentials: {ADC_HINT}"
    if isinstance(error, gexc.NotFound):
        return "does not exist"
    if isinstance(error, gexc.Forbidden):
        return "permission denied to your credentials"
    if isinstance(error, auth_exc.RefreshError | gexc.Unauthenticated):
        return f"not authenticated: {ADC_HINT}"
    if isinstance(error, gexc.MethodNotImplemented):
        return "not supported here"
    if isinstance(error, gexc.DeadlineExceeded | gexc.ServiceUnavailable):
        return f"Pub/Sub did not answer in time ({name})"
    return f"failed ({name})"
