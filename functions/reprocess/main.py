"""reprocess: ask ROIT to reprocess one request (partner webhook, or team call through IAM)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.core.logs import log_context
from shared.entry.handler import handle_http
from shared.entry.integrations import check_partner_integration
from shared.entry.runtime import Runtime
from shared.entry.settings import CallerAuth, ReprocessSettings
from shared.entry.webhooks import verifier_for
from shared.idempotency import store_for
from shared.roit.models import ReprocessInput

RUNTIME = Runtime(ReprocessSettings)
# webhook: every request must be signed (secrets checked now: a bad one stops the instance).
# iam: the deployment is private, so Cloud Run has already authenticated the caller.
# webhook: the store refuses a replay on every instance (IAM callers need none)
WEBHOOK = RUNTIME.settings.reprocess_caller_auth is CallerAuth.WEBHOOK
STORE = store_for(RUNTIME.settings) if WEBHOOK else None
VERIFIER = verifier_for(RUNTIME, STORE)


def _reprocess(body: ReprocessInput) -> dict[str, Any]:
    if VERIFIER is not None:  # a partner acts on this deployment's integration (or the listed)
        settings = RUNTIME.settings
        check_partner_integration(
            body.integration_id, settings.integration_id, settings.partner_integration_ids
        )
    with log_context(requestId=body.request_id):
        record = RUNTIME.client.reprocess(body.request_id, integration_id=body.integration_id)
    return record.model_dump(by_alias=True, exclude_unset=True, mode="json")


@functions_framework.http
def reprocess(request: flask.Request) -> flask.Response:
    """Answers ROIT's request record, or a JSON error (400 / 401 / 403 / 404 / 502 / 503 / 504)."""
    return handle_http(request, RUNTIME, ReprocessInput, _reprocess, verifier=VERIFIER)
