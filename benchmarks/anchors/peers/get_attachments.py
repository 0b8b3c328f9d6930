"""Hand-written peer of get_attachments (not product code): the same job the obvious way."""

import functions_framework
from _roit import ENTRYPOINT, post
from pydantic import BaseModel


class Body(BaseModel):
    requestId: str


@functions_framework.http
def get_attachments(request):
    body = Body.model_validate_json(request.get_data())
    return post(f"{ENTRYPOINT}/attachs", {"requestId": body.requestId})
