"""Hand-written peer of register_delivery (a Pub/Sub push; not product code)."""

import base64

import functions_framework
from _roit import post
from pydantic import BaseModel


class Message(BaseModel):
    data: str
    attributes: dict[str, str] = {}
    messageId: str


class Envelope(BaseModel):
    message: Message
    subscription: str


class Delivery(BaseModel):
    entity: str
    data: list[dict]


@functions_framework.http
def register_delivery(request):
    envelope = Envelope.model_validate_json(request.get_data())
    delivery = Delivery.model_validate_json(base64.b64decode(envelope.message.data))
    post("/ibs-core-delivery/api/v1/delivery", {**delivery.model_dump(), "isDefault": False})
    return {"status": "sent", "items": len(delivery.data)}
