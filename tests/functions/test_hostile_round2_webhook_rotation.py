"""A rotation to a trivially guessable webhook key is refused like a malformed one (issue 22
§4): the instance answers 503 ``misconfigured`` and a signature made with the empty key never
reaches ROIT. Real reprocess function, the Secret Manager stand-in, the sandbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.integration

GOOD = "whsec_" + base64.b64encode(b"partner-secret-new-0123456789").decode()
ZERO = "whsec_" + base64.b64encode(b"\0" * 24).decode()


def _signed_with_the_empty_key(body: bytes) -> dict:
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    digest = hmac.new(b"", f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    headers = {"webhook-id": msg_id, "webhook-timestamp": stamp,
               "webhook-signature": "v1," + base64.b64encode(digest).decode()}  # fmt: skip
    return {"data": body, "headers": headers, "content_type": "application/json"}


def test_a_rotation_to_an_all_zero_key_is_refused_and_the_empty_key_reaches_nothing(
    sandbox, load_function, base_env, secret_manager, clean_error, logged
) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    name = f"roit-webhook-secrets-{uuid.uuid4().hex[:6]}"
    secret_manager.put(name, GOOD)
    fn = load_function("reprocess", {
        **base_env, "ROIT_REPROCESS_CALLER_AUTH": "webhook", "ROIT_WEBHOOK_SECRETS_SECRET": name,
        "ROIT_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "ROIT_GCP_PROJECT": secret_manager.project, "ROIT_SECRET_TTL_S": "0.001",
    })  # fmt: skip
    body = json.dumps({"requestId": state["requestId"]}).encode()
    clean_error(fn.post("/", **_signed_with_the_empty_key(body)), 401)
    secret_manager.put(name, ZERO)  # the rotation an operator got wrong
    answer = clean_error(fn.post("/", **_signed_with_the_empty_key(body)), 503)
    assert answer["error"]["code"] == "misconfigured"
    assert sandbox.control.requests()[0]["status"] == state["status"]  # ROIT never asked
    errors = [line for line in logged() if line.get("event") == "config_error"]
    assert errors and errors[-1]["setting"] == "ROIT_WEBHOOK_SECRETS_SECRET"
