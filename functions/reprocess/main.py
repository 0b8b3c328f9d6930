"""reprocess: ask ROIT to reprocess one request (partner webhook, or team call through IAM)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.http import raw_body, read_json
from shared.idempotency import store_for
from shared.logs import log_context
from shared.models import ReprocessInput
from shared.runtime import Runtime
from shared.settings import CallerAuth, ReprocessSettings
from shared.webhooks import verifier_for

RUNTIME = Runtime(ReprocessSettings)
# webhook: every request must be signed (secrets checked now: a bad one stops the instance).
# iam: the deployment is private, so Cloud Run has already authenticated the caller.
# webhook: the store refuses a replay on every instance (IAM callers need none)
WEBHOOK = RUNTIME.settings.reprocess_caller_auth is CallerAuth.WEBHOOK
STORE = store_for(RUNTIME.settings) if WEBHOOK else None
VERIFIER = verifier_for(RUNTIME, STORE)


def _reprocess(request: flask.Request) -> dict[str, Any]:
    body: ReprocessInput = read_json(request, ReprocessInput)
    with log_context(requestId=body.request_id):
        record = RUNTIME.client.reprocess(body.request_id, integration_id=body.integration_id)
    return record.model_dump(by_alias=True, exclude_unset=True, mode="json")


@functions_framework.http
def reprocess(request: flask.Request) -> flask.Response:
    """Answers ROIT's request record, or a JSON error (400 / 401 / 404 / 502 / 503 / 504)."""
    if VERIFIER is None:
        return RUNTIME.serve(request, lambda: _reprocess(request))
    return RUNTIME.serve(
        request,
        lambda: VERIFIER.run(raw_body(request), dict(request.headers), lambda: _reprocess(request)),
    )
