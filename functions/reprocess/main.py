"""reprocess: ask ROIT to reprocess one request (partner webhook, or team call through IAM)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.http import raw_body, read_json
from shared.logs import log_context
from shared.models import ReprocessInput
from shared.runtime import Runtime
from shared.settings import CallerAuth, ReprocessSettings, parse_webhook_secrets
from shared.webhooks import WebhookVerifier

RUNTIME = Runtime(ReprocessSettings)


def _webhook_secrets() -> list[str]:
    settings = RUNTIME.settings
    if settings.webhook_secrets is not None:
        return parse_webhook_secrets(settings.webhook_secrets.get_secret_value())
    assert settings.webhook_secrets_secret  # enforced by ReprocessSettings
    return parse_webhook_secrets(RUNTIME.secrets.get(settings.webhook_secrets_secret))


# webhook: every request must be signed. iam: the deployment is private, so Cloud Run has
# already authenticated and authorised the caller; no signature is needed.
VERIFIER = (
    WebhookVerifier(_webhook_secrets)
    if RUNTIME.settings.reprocess_caller_auth is CallerAuth.WEBHOOK
    else None
)


def _reprocess(request: flask.Request) -> dict[str, Any]:
    webhook_id = VERIFIER.verify(raw_body(request), dict(request.headers)) if VERIFIER else None
    try:
        body: ReprocessInput = read_json(request, ReprocessInput)
        with log_context(requestId=body.request_id):
            record = RUNTIME.client.reprocess(body.request_id, integration_id=body.integration_id)
    except Exception as exc:
        if VERIFIER is not None and webhook_id is not None and not getattr(exc, "ambiguous", False):
            # ROIT surely did nothing: let the partner's retry (same webhook-id) through. When
            # ROIT may have acted (a 5xx from a gateway, a lost answer), the id stays spent.
            VERIFIER.forget(webhook_id)
        raise
    return record.model_dump(by_alias=True, exclude_unset=True, mode="json")


@functions_framework.http
def reprocess(request: flask.Request) -> flask.Response:
    """Answers ROIT's request record, or a JSON error (400 / 401 / 404 / 502)."""
    return RUNTIME.serve(request, lambda: _reprocess(request))
