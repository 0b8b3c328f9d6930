"""get_attachments: the documents attached to a ROIT request (HTTP, IAM)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.core.logs import log_context
from shared.core.settings import RoitSettings
from shared.entry.handler import handle_http
from shared.entry.runtime import Runtime
from shared.roit.models import AttachmentsInput

RUNTIME = Runtime(RoitSettings)


def _attachments(body: AttachmentsInput) -> dict[str, Any]:
    with log_context(requestId=body.request_id):
        files = RUNTIME.client.attachments(body.request_id, integration_id=body.integration_id)
    return {"requestId": body.request_id, "attachments": files}


@functions_framework.http
def get_attachments(request: flask.Request) -> flask.Response:
    """Answers ``{requestId, attachments: [...]}`` or a JSON error."""
    return handle_http(request, RUNTIME, AttachmentsInput, _attachments)
