"""Hand-written peer of poll_pending (not product code): for each target, fetch a page,
publish its entities with the publisher's futures, wait for them, repeat until a page is empty."""

import json
import os

import functions_framework
from _roit import ENTRYPOINT, post
from google.cloud import pubsub_v1
from pydantic import BaseModel

publisher = pubsub_v1.PublisherClient()
TOPIC = os.environ["ROIT_PENDING_TOPIC"]
if not TOPIC.startswith("projects/"):
    TOPIC = publisher.topic_path(os.environ["ROIT_GCP_PROJECT"], TOPIC)
TARGETS = os.environ.get("ROIT_POLL_TARGETS", "DOCUMENT").split(",")


class Body(BaseModel):
    targets: list[str] | None = None


def drain(target):
    entity, _, kind = target.partition(":")
    query = {"entity": entity, **({"type": kind} if kind else {})}
    published = 0
    while page := post(f"{ENTRYPOINT}/pending", query)["data"]:
        futures = [
            publisher.publish(
                TOPIC,
                json.dumps(item, separators=(",", ":")).encode(),
                entity=str(item.get("entity", entity)),
                requestId=str(item.get("requestId", "")),
            )
            for item in page
        ]
        for future in futures:
            future.result(timeout=60)
        published += len(page)
    return published


@functions_framework.http
def poll_pending(request):
    body = Body.model_validate_json(request.get_data() or b"{}")
    totals = {target: drain(target) for target in body.targets or TARGETS}
    return {"published": sum(totals.values()), "targets": totals}
