"""The hand-over sheets: what the ERP team and the webhook partner need, for the deployed names.

Each sheet is one JSON document (``--json``) and Markdown made from it (to send). Never a
secret: the partner sheet says how the secret reaches them; the command prints it only on
request, to a terminal (:mod:`roitctl.golive.commands`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from roitctl.golive.deployed import Deployed
from roitctl.layout import dead_letter_topic

__all__ = ["HandoverError", "erp_markdown", "erp_sheet", "partner_markdown", "partner_sheet"]

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "docs" / "schemas"
"""The message contract's JSON Schemas (the documentation's), when this checkout has them."""

PENDING_ATTRIBUTES = ["entity", "type", "requestId", "reference", "integrationId", "correlationId"]
"""The attributes poll_pending sets on each pending message (docs/DESIGN.md, Pub/Sub)."""

_EXAMPLE = """\
import json

from google.cloud import pubsub_v1

SUBSCRIPTION = {subscription!r}
STATUS_TOPIC = {status!r}

subscriber = pubsub_v1.SubscriberClient()
publisher = pubsub_v1.PublisherClient()
response = subscriber.pull(request={{"subscription": SUBSCRIPTION, "max_messages": 1}}, timeout=30)
for received in response.received_messages:
    attributes = received.message.attributes
    entity = json.loads(received.message.data)  # the entity as ROIT sent it
    # ... enter it in the ERP, then say how it went:
    status = {{
        "requestId": attributes["requestId"],
        "reference": attributes.get("reference") or attributes["requestId"],
        "status": "DONE",
        "message": "entered in the ERP",
    }}
    publisher.publish(STATUS_TOPIC, json.dumps(status).encode()).result(timeout=30)
    subscriber.acknowledge(request={{"subscription": SUBSCRIPTION, "ack_ids": [received.ack_id]}})
    print("status published for", attributes["requestId"])
"""


_SIGNED_CALL = """\
import base64, hashlib, hmac, json, os, time, urllib.error, urllib.request, uuid

URL = {url!r}
SECRET = os.environ["ROIT_WEBHOOK_SECRET"]  # whsec_..., as given to you
body = json.dumps({{"requestId": "<ROIT request id>"}})
webhook_id = f"msg_{{uuid.uuid4().hex}}"  # a new one per call; the same one for its retries
timestamp = str(int(time.time()))
key = base64.b64decode(SECRET.removeprefix("whsec_"))
signed = f"{{webhook_id}}.{{timestamp}}.{{body}}".encode()
signature = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
headers = {{
    "content-type": "application/json",
    "webhook-id": webhook_id,
    "webhook-timestamp": timestamp,
    "webhook-signature": f"v1,{{signature}}",
}}
request = urllib.request.Request(URL, data=body.encode(), headers=headers, method="POST")
try:
    with urllib.request.urlopen(request, timeout=60) as answer:
        print(answer.status, answer.read().decode())
except urllib.error.HTTPError as refused:
    print(refused.code, refused.read().decode())
"""


class HandoverError(ValueError):
    """A sheet cannot be made truthfully; the message says what to give."""


def _contract() -> dict[str, Any]:
    """The ERP's messages' JSON Schemas: the documentation's (``docs/schemas/roit-*.json``)
    when this checkout has them, else made from the models."""
    files = sorted(SCHEMAS_DIR.glob("roit-*.json")) if SCHEMAS_DIR.is_dir() else []
    if files:
        return {
            "source": "docs/schemas",
            "schemas": {f.stem: json.loads(f.read_text(encoding="utf-8")) for f in files},
        }
    from shared.roit.models import DeliveryMessage, StatusUpdate

    return {
        "source": "shared/models.py (StatusUpdate, DeliveryMessage)",
        "schemas": {
            "roit-pending": {
                "description": "data: the entity's JSON as ROIT sent it; attributes: "
                + ", ".join(PENDING_ATTRIBUTES),
            },
            "roit-status": StatusUpdate.model_json_schema(by_alias=True),
            "roit-deliveries": DeliveryMessage.model_json_schema(by_alias=True),
        },
    }


def erp_sheet(deployed: Deployed) -> dict[str, Any]:
    """The ERP team's sheet.

    Raises:
        HandoverError: no ERP principal in the tfvars (the ERP would get 403).
    """
    if not deployed.erp_subscribers or not deployed.erp_publishers:
        raise HandoverError(
            "no ERP principal: set erp_subscriber_members and erp_publisher_members in the "
            "tfvars (roitctl setup --erp-principal) and give it with --tfvars"
        )
    settings = {name: item["value"] for name, item in deployed.settings().items()}
    status, deliveries = deployed.topic("roit-status"), deployed.topic("roit-deliveries")
    return {
        "project": deployed.project,
        "pull": {
            "subscription": deployed.erp_subscription,
            "topic": deployed.topic("roit-pending"),
            "role": "roles/pubsub.subscriber",
            "grantedTo": deployed.erp_subscribers,
            "ackDeadlineS": settings.get("erp_ack_deadline_s"),
            "maxDeliveryAttempts": settings.get("erp_max_delivery_attempts"),
            "deadLetterTopic": dead_letter_topic("roit-pending"),
            "attributes": PENDING_ATTRIBUTES,
        },
        "publish": {
            "topics": {"status": status, "deliveries": deliveries},
            "role": "roles/pubsub.publisher",
            "grantedTo": deployed.erp_publishers,
        },
        "deployed": deployed.settings(),
        "contract": _contract(),
        "example": {
            "python": _EXAMPLE.format(subscription=deployed.erp_subscription, status=status),
            "gcloud": [
                f"gcloud pubsub subscriptions pull {deployed.erp_subscription} --limit=1",
                f"gcloud pubsub topics publish {status} --message="
                '\'{"requestId":"<requestId>","reference":"<reference>",'
                '"status":"DONE","message":"entered in the ERP"}\'',
            ],
        },
    }


def erp_markdown(sheet: dict[str, Any]) -> str:
    """The ERP sheet as Markdown."""
    pull, publish, contract = sheet["pull"], sheet["publish"], sheet["contract"]
    lines = [
        f"# ROIT connector: the ERP's side ({sheet['project']})",
        "",
        "## Pending documents: pull",
        f"- subscription: `{pull['subscription']}` (of topic `{pull['topic']}`)",
        f"- granted `{pull['role']}` on it to: " + ", ".join(f"`{m}`" for m in pull["grantedTo"]),
        f"- ack deadline {pull['ackDeadlineS']} s; after {pull['maxDeliveryAttempts']} "
        f"deliveries without an ack a message goes to `{pull['deadLetterTopic']}`",
        "- data: the entity's JSON as ROIT sent it; attributes: "
        + ", ".join(f"`{a}`" for a in pull["attributes"]),
        "",
        "## Results and master data: publish",
        f"- status of each entity: `{publish['topics']['status']}`",
        f"- deliveries (master data): `{publish['topics']['deliveries']}`",
        f"- granted `{publish['role']}` on both to: "
        + ", ".join(f"`{m}`" for m in publish["grantedTo"]),
        "",
        "## Deployed timings and budgets",
        "These are the deployment's (the local stack, `make demo`, runs shorter ones):",
        *[
            f"- `{name}` = `{json.dumps(item['value'])}` ({item['from']})"
            for name, item in sheet["deployed"].items()
        ],
        "",
        f"## Message contract (JSON Schemas, from {contract['source']})",
    ]
    for name, schema in contract["schemas"].items():
        lines += ["", f"### {name}", "", "```json", json.dumps(schema, indent=2), "```"]
    example = sheet["example"]
    lines += [
        "",
        "## Example: pull one pending message and publish its status",
        "",
        "```python",
        example["python"].rstrip(),
        "```",
        "",
        "With the gcloud CLI:",
        "",
        "```sh",
        *example["gcloud"],
        "```",
    ]
    return "\n".join(lines) + "\n"


def partner_sheet(deployed: Deployed) -> dict[str, Any]:
    """The webhook partner's sheet.

    Raises:
        HandoverError: the webhook's URL is unknown (no outputs).
    """
    from shared.entry.webhooks import TOLERANCE_S

    url = deployed.webhook_url()
    if not url:
        raise HandoverError(
            "the webhook URL is unknown: give --outputs (terraform output -json > FILE)"
        )
    return {
        "url": url,
        "method": "POST",
        "body": {"requestId": "<ROIT request id>", "integrationId": "<optional>"},
        "secret": {
            "format": "whsec_ + base64 of 32 random bytes (Standard Webhooks)",
            "delivery": "read aloud or pasted from `roitctl handover partner --show-secret`, "
            "which prints it once, to a terminal only; never by e-mail or chat in clear",
            "rotation": "during a rotation both the old and the new secret verify "
            "(roitctl webhook-secret rotate, then retire once the partner uses the new one)",
        },
        "signing": {
            "headers": ["webhook-id", "webhook-timestamp", "webhook-signature"],
            "signature": "v1,<base64 HMAC-SHA256 over '<webhook-id>.<webhook-timestamp>.<body>' "
            "with the key = base64-decoded text after whsec_>",
            "library": "standardwebhooks (Python, JS, Go, ...): Webhook(secret).sign(id, "
            "timestamp, body)",
            "example": _SIGNED_CALL.format(url=url),
        },
        "rules": {
            "timestampToleranceS": int(TOLERANCE_S),
            "replay": "a webhook-id already accepted is refused (401) for "
            f"{int(2 * TOLERANCE_S)} s: use a new id for each new call",
            "retry": "retry a failed call (no answer, 503) with the same "
            "webhook-id and a fresh timestamp and signature; after a 502 or 504 ROIT may have "
            "acted, so the same id is refused: check the request first, then call again with "
            "a new id",
            "answers": "2xx: ROIT's record; 401: unsigned, stale, replayed or wrong signature; "
            "4xx: the body (the message names the field)",
        },
    }


def partner_markdown(sheet: dict[str, Any]) -> str:
    """The partner sheet as Markdown."""
    secret, signing, rules = sheet["secret"], sheet["signing"], sheet["rules"]
    return "\n".join(
        [
            "# ROIT connector: the reprocess webhook",
            "",
            f"- URL: `{sheet['url']}` ({sheet['method']}, JSON body `{json.dumps(sheet['body'])}`)",
            f"- secret: {secret['format']}; {secret['delivery']}",
            f"- rotation: {secret['rotation']}",
            "",
            "## Signing a call",
            f"- headers: {', '.join(f'`{h}`' for h in signing['headers'])}",
            f"- signature: {signing['signature']}",
            f"- library: {signing['library']}",
            "",
            "With no library (Python's standard library only):",
            "",
            "```python",
            signing["example"].rstrip(),
            "```",
            "",
            "## Retries and replays",
            f"- timestamps are accepted within {rules['timestampToleranceS']} s either way",
            f"- replays: {rules['replay']}",
            f"- retries: {rules['retry']}",
            f"- answers: {rules['answers']}",
            "",
        ]
    )
