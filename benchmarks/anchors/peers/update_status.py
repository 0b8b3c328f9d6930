"""Hand-written peer of update_status (a Pub/Sub push; not product code)."""

import base64

import functions_framework
from _roit import ENTRYPOINT, post
from pydantic import BaseModel


class Message(BaseModel):
    data: str
    attributes: dict[str, str] = {}
    messageId: str


class Envelope(BaseModel):
    message: Message
    subscription: str


class Status(BaseModel):
    requestId: str
    reference: str | None = None
    status: str
    message: str | None = None


@functions_framework.http
def update_status(request):
    envelope = Envelope.model_validate_json(request.get_data())
    status = Status.model_validate_json(base64.b64decode(envelope.message.data))
    post(f"{ENTRYPOINT}/status", status.model_dump(exclude_none=True))
    return {"status": "sent"}
