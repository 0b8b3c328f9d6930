"""get_attachments: the documents attached to a ROIT request (HTTP, IAM)."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.http import read_json
from shared.logs import log_context
from shared.models import AttachmentsInput
from shared.runtime import Runtime
from shared.settings import RoitSettings

RUNTIME = Runtime(RoitSettings)


def _attachments(request: flask.Request) -> dict[str, Any]:
    body: AttachmentsInput = read_json(request, AttachmentsInput)
    with log_context(requestId=body.request_id):
        files = RUNTIME.client.attachments(body.request_id, integration_id=body.integration_id)
    return {"requestId": body.request_id, "attachments": files}


@functions_framework.http
def get_attachments(request: flask.Request) -> flask.Response:
    """Answers ``{requestId, attachments: [...]}`` or a JSON error."""
    return RUNTIME.serve(request, lambda: _attachments(request))
