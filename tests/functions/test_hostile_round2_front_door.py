"""The front door (issue 22 §6): a partner's signed request may only act on the deployment's
own integration, or a configured one; any other ``integrationId`` is refused before ROIT is
called. The real reprocess function, the sandbox, the Secret Manager stand-in."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import standardwebhooks

pytestmark = pytest.mark.integration

KEY = "whsec_" + base64.b64encode(b"partner-secret-new-0123456789").decode()


def _signed(body: dict) -> dict:
    raw = json.dumps(body).encode()
    msg_id, when = f"msg_{uuid.uuid4().hex}", datetime.fromtimestamp(time.time(), tz=UTC)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
               "webhook-signature": standardwebhooks.Webhook(KEY).sign(msg_id, when, raw.decode())}  # fmt: skip
    return {"data": raw, "headers": headers, "content_type": "application/json"}


@pytest.fixture
def partner_fn(load_function, base_env):
    def load(**extra: str):
        env = {**base_env, "ROIT_REPROCESS_CALLER_AUTH": "webhook", "ROIT_WEBHOOK_SECRETS": KEY}
        return load_function("reprocess", {**env, **extra})

    return load


@pytest.mark.parametrize("other", ["someone-elses-integration", "9876c5d4-ba32-1098-7654-321f9"])
def test_a_partner_naming_another_integration_is_refused_before_roit(
    sandbox, partner_fn, clean_error, other
) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    before = sandbox.control.stats()["calls"].get("reprocess")
    answer = partner_fn().post(
        "/", **_signed({"requestId": state["requestId"], "integrationId": other})
    )
    body = clean_error(answer, 403)
    assert body["error"]["field"] == "integrationId" and other not in json.dumps(body)
    assert sandbox.control.stats()["calls"].get("reprocess") == before  # ROIT never asked


def test_the_deployments_own_integration_and_configured_ones_are_allowed(
    sandbox, partner_fn, clean_error
) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    own = {"requestId": state["requestId"], "integrationId": sandbox.integration_id}
    assert partner_fn().post("/", **_signed(own)).status_code == 200
    extra = partner_fn(ROIT_PARTNER_INTEGRATION_IDS="other-integration, third")
    body = {"requestId": state["requestId"], "integrationId": "third"}
    answer = extra.post("/", **_signed(body))  # allowed here: ROIT itself decides (404)
    assert answer.status_code != 403 and answer.status_code < 500
