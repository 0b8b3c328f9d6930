"""Hand-written peer of reprocess (IAM-authenticated callers; not product code)."""

import functions_framework
from _roit import ENTRYPOINT, post
from pydantic import BaseModel


class Body(BaseModel):
    requestId: str


@functions_framework.http
def reprocess(request):
    body = Body.model_validate_json(request.get_data())
    return post(f"{ENTRYPOINT}/reprocess", {"requestId": body.requestId})
