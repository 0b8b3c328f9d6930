"""reprocess (webhook and IAM modes) and get_attachments through functions-framework."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime

import pytest
import standardwebhooks

pytestmark = pytest.mark.integration

OLD = "whsec_" + base64.b64encode(b"partner-secret-old-0123456789").decode()
NEW = "whsec_" + base64.b64encode(b"partner-secret-new-0123456789").decode()


def signed(body: dict | bytes, secret: str, *, msg_id: str | None = None, ts: float | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    when = datetime.fromtimestamp(ts if ts is not None else time.time(), tz=UTC)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": standardwebhooks.Webhook(secret).sign(msg_id, when, raw.decode()),
    }
    return {"data": raw, "headers": headers, "content_type": "application/json"}


@pytest.fixture
def done_request(sandbox):
    """A request that reached DONE, ready to be reprocessed."""
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    return state


@pytest.fixture
def webhook_secret(secret_manager):
    name = f"roit-webhook-secrets-{uuid.uuid4().hex[:6]}"
    secret_manager.put(name, NEW)
    return name


@pytest.fixture
def secret_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The clock of every secret cache built from here on (in this process): a number the
    test moves, so a TTL passes without waiting for it."""
    from shared.core.secrets import SecretManagerProvider

    now = [0.0]
    defaults = SecretManagerProvider.__init__.__kwdefaults__
    assert defaults is not None and "clock" in defaults
    monkeypatch.setitem(defaults, "clock", lambda: now[0])
    return now


@pytest.fixture
def webhook_fn(load_function, base_env, secret_manager, webhook_secret, secret_clock):
    env = {
        **base_env,
        "ROIT_REPROCESS_CALLER_AUTH": "webhook",
        "ROIT_WEBHOOK_SECRETS_SECRET": webhook_secret,
        "ROIT_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "ROIT_GCP_PROJECT": secret_manager.project,
        "ROIT_SECRET_TTL_S": "0.2",
    }
    return load_function("reprocess", env)


@pytest.fixture
def team_fn(load_function, base_env):
    return load_function("reprocess", {**base_env, "ROIT_REPROCESS_CALLER_AUTH": "iam"})


@pytest.fixture
def attachments_fn(load_function, base_env):
    return load_function("get_attachments", base_env)


def test_signed_webhook_reprocesses(sandbox, webhook_fn, done_request) -> None:
    response = webhook_fn.post("/", **signed({"requestId": done_request["requestId"]}, NEW))
    assert response.status_code == 200, response.get_json()
    record = response.get_json()
    assert record["requestId"] == done_request["requestId"]
    assert "status" in record  # ROIT's record as ROIT sent it
    assert sandbox.control.request(done_request["requestId"])["status"] == "PENDING"


@pytest.mark.parametrize(
    "case",
    ["unsigned", "wrong_secret", "tampered_body", "expired", "future", "malformed_signature"],
)
def test_bad_signatures_are_401_and_reach_nothing(
    sandbox, webhook_fn, done_request, clean_error, case
) -> None:
    body = {"requestId": done_request["requestId"]}
    kwargs = signed(body, OLD if case == "wrong_secret" else NEW)
    if case == "unsigned":
        kwargs["headers"] = {}
    elif case == "tampered_body":
        kwargs["data"] = json.dumps({"requestId": "SECRET-MARKER-7f3a"}).encode()
    elif case == "expired":
        kwargs = signed(body, NEW, ts=time.time() - 600)
    elif case == "future":
        kwargs = signed(body, NEW, ts=time.time() + 600)
    elif case == "malformed_signature":
        kwargs["headers"]["webhook-signature"] = "v1,SECRET-MARKER-7f3a"
    clean_error(webhook_fn.post("/", **kwargs), 401)
    assert sandbox.control.stats()["calls"].get("reprocess") is None


def test_replayed_webhook_id_is_refused(webhook_fn, done_request, clean_error) -> None:
    kwargs = signed({"requestId": done_request["requestId"]}, NEW, msg_id="msg_replay")
    assert webhook_fn.post("/", **kwargs).status_code == 200
    body = clean_error(webhook_fn.post("/", **kwargs), 401)
    assert "replay" in body["error"]["message"]


def test_secret_rotation_through_secret_manager(
    secret_manager, webhook_secret, webhook_fn, done_request, secret_clock
) -> None:
    body = {"requestId": done_request["requestId"]}
    assert webhook_fn.post("/", **signed(body, OLD)).status_code == 401
    secret_manager.put(webhook_secret, f"{NEW} {OLD}")  # rotation window: both accepted
    assert webhook_fn.post("/", **signed(body, OLD)).status_code == 401  # cached until the TTL
    secret_clock[0] += 0.3  # the function's secret TTL is 0.2 s here
    assert webhook_fn.post("/", **signed(body, OLD)).status_code == 200
    assert webhook_fn.post("/", **signed(body, NEW)).status_code == 200
    secret_manager.put(webhook_secret, OLD)  # the new secret is retired
    secret_clock[0] += 0.3
    assert webhook_fn.post("/", **signed(body, NEW)).status_code == 401


def test_team_call_through_iam_needs_no_signature(sandbox, team_fn, done_request) -> None:
    response = team_fn.post("/", json={"requestId": done_request["requestId"]})
    assert response.status_code == 200
    assert sandbox.control.request(done_request["requestId"])["status"] == "PENDING"


def test_roit_errors_map_to_http(sandbox, team_fn, clean_error) -> None:
    body = clean_error(team_fn.post("/", json={"requestId": "no-such-request"}), 404)
    assert body["error"]["code"] == "not_found"
    sandbox.control.set_fault("reprocess", rate_limit_next=5, retry_after=9)
    response = team_fn.post("/", json={"requestId": "no-such-request"})
    assert clean_error(response, 503)["error"]["code"] == "upstream_busy"
    assert response.headers["Retry-After"] == "9"
    sandbox.control.set_fault("reprocess", error_rate=1.0, error_status=500)
    clean_error(team_fn.post("/", json={"requestId": "x"}), 502)


def test_unknown_integration_is_a_clear_error(team_fn, clean_error) -> None:
    response = team_fn.post("/", json={"requestId": "x", "integrationId": "not-registered"})
    body = clean_error(response, 400, 404)
    assert body["error"]["code"] in ("not_found", "roit_rejected")


def test_attachments_listed(sandbox, attachments_fn, done_request) -> None:
    response = attachments_fn.post("/", json={"requestId": done_request["requestId"]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["requestId"] == done_request["requestId"]
    assert body["attachments"] and {"fileName", "url"} <= set(body["attachments"][0])


def test_attachments_of_a_request_not_ready(sandbox, attachments_fn, clean_error) -> None:
    sandbox.control.reset(received=1)
    (state,) = sandbox.control.requests(status="RECEIVED")
    body = clean_error(attachments_fn.post("/", json={"requestId": state["requestId"]}), 409)
    assert body["error"]["code"] == "conflict"
    clean_error(attachments_fn.post("/", json={"requestId": "unknown"}), 404)


BAD_INPUTS = [
    ({"data": "{oops SECRET-MARKER-7f3a", "content_type": "application/json"}, 400, None),
    ({"json": {"requestId": 12345}}, 400, "requestId"),
    ({"json": {"requestId": ["SECRET-MARKER-7f3a"]}}, 400, "requestId"),
    ({"json": {}}, 400, "requestId"),
    ({"json": {"requestId": "   "}}, 400, "requestId"),
    ({"json": {"requestId": "r", "status": "SECRET-MARKER-7f3a"}}, 400, "status"),
    ({"json": "SECRET-MARKER-7f3a"}, 400, None),
    ({"data": "", "content_type": "application/json"}, 400, None),
    ({"data": "requestId=1", "content_type": "application/x-www-form-urlencoded"}, 415, None),
    (
        {"data": json.dumps({"requestId": "x" * 70_000}), "content_type": "application/json"},
        413,
        None,
    ),
    ({"data": b"\xff\xfe\x00garbage", "content_type": "application/json"}, 400, None),
]


@pytest.mark.parametrize(("kwargs", "status", "field"), BAD_INPUTS)
def test_bad_input_is_a_clean_4xx(
    sandbox, team_fn, attachments_fn, clean_error, kwargs, status, field
) -> None:
    for fn in (team_fn, attachments_fn):
        body = clean_error(fn.post("/", **kwargs), status)
        assert body["error"].get("field") == field
    assert sandbox.control.stats()["calls"].get("reprocess") is None


def test_bad_body_with_valid_signature_is_still_a_clean_400(webhook_fn, clean_error) -> None:
    kwargs = signed(b'{"requestId": 7, "note": "SECRET-MARKER-7f3a"}', NEW)
    clean_error(webhook_fn.post("/", **kwargs), 400)


def test_methods_other_than_post_are_refused(team_fn, attachments_fn, clean_error) -> None:
    for fn in (team_fn, attachments_fn):
        clean_error(fn.get("/"), 405)
        clean_error(fn.put("/", json={"requestId": "x"}), 405)


def test_one_json_log_line_per_event_with_trace_and_no_secrets(
    sandbox, load_function, base_env, done_request, capsys
) -> None:
    fn = load_function("get_attachments", {**base_env, "ROIT_LOG_LEVEL": "INFO"})
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = fn.post(
        "/",
        json={"requestId": done_request["requestId"]},
        headers={
            "X-Correlation-Id": "corr-42",
            "traceparent": f"00-{trace}-00f067aa0ba902b7-01",
            "Authorization": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln",
        },
    )
    assert response.status_code == 200
    assert response.headers["X-Correlation-Id"] == "corr-42"
    out = capsys.readouterr().out
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert lines and all(line["severity"] in ("INFO", "WARNING", "ERROR") for line in lines)
    served = [line for line in lines if line["message"] == "request served"]
    assert served and served[-1]["status"] == 200 and served[-1]["correlationId"] == "corr-42"
    assert served[-1]["logging.googleapis.com/trace"] == f"projects/roit-local/traces/{trace}"
    assert any(line.get("requestId") == done_request["requestId"] for line in lines)
    assert "eyJ" not in out and sandbox.client_secret not in out


def test_partner_retry_after_a_failed_delivery_is_accepted(
    sandbox, webhook_fn, done_request
) -> None:
    kwargs = signed({"requestId": done_request["requestId"]}, NEW, msg_id="msg_retry_me")
    sandbox.control.set_fault("reprocess", fail_next=5, error_status=503)
    assert webhook_fn.post("/", **kwargs).status_code == 502
    sandbox.control.clear_faults()
    assert webhook_fn.post("/", **kwargs).status_code == 200  # same webhook-id, not a replay
    assert webhook_fn.post("/", **kwargs).status_code == 401  # now it is one


def test_deeply_nested_body_is_a_clean_400(team_fn, webhook_fn, clean_error) -> None:
    nested = b"[" * 60_000
    clean_error(team_fn.post("/", data=nested, content_type="application/json"), 400)
    clean_error(webhook_fn.post("/", **signed(nested, NEW)), 400)


def test_unknown_field_names_that_look_like_secrets_are_not_echoed(team_fn, clean_error) -> None:
    jwt_key = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    body = clean_error(team_fn.post("/", json={"requestId": "r", jwt_key: 1}), 400)
    assert jwt_key not in json.dumps(body)
    assert body["error"]["field"] == "<field>"


def test_webhook_id_stays_spent_when_roit_may_have_acted(sandbox, webhook_fn, done_request) -> None:
    kwargs = signed({"requestId": done_request["requestId"]}, NEW, msg_id="msg_maybe_done")
    sandbox.control.set_fault("reprocess", fail_next=5, error_status=502)
    assert webhook_fn.post("/", **kwargs).status_code == 502
    sandbox.control.clear_faults()
    assert webhook_fn.post("/", **kwargs).status_code == 401  # a gateway 502 may hide a success


def test_a_malformed_webhook_secret_in_secret_manager_stops_the_cold_start(
    load_function, base_env, secret_manager
) -> None:
    from shared.core.errors import ConfigurationError

    name = f"roit-webhook-secrets-{uuid.uuid4().hex[:6]}"
    secret_manager.put(name, f"{NEW} whsec_c2hvcnQ=")  # the second key is 5 bytes
    env = {
        **base_env,
        "ROIT_REPROCESS_CALLER_AUTH": "webhook",
        "ROIT_WEBHOOK_SECRETS_SECRET": name,
        "ROIT_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "ROIT_GCP_PROJECT": secret_manager.project,
    }
    with pytest.raises(ConfigurationError, match="ROIT_WEBHOOK_SECRETS_SECRET: secret #2"):
        load_function("reprocess", env)


def test_a_webhook_secret_with_no_version_yet_starts_and_answers_503_until_it_has_one(
    sandbox, load_function, base_env, secret_manager, done_request, logged
) -> None:
    """A first deployment: Terraform creates the secret's container, nobody has added a value
    yet. The instance must start (or the deployment fails) and serve once a value is added."""
    name = f"roit-webhook-secrets-{uuid.uuid4().hex[:6]}"
    secret_manager.client().create_secret(
        request={"parent": f"projects/{secret_manager.project}", "secret_id": name,
                 "secret": {"replication": {"automatic": {}}}}
    )  # fmt: skip
    env = {
        **base_env,
        "ROIT_REPROCESS_CALLER_AUTH": "webhook",
        "ROIT_WEBHOOK_SECRETS_SECRET": name,
        "ROIT_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "ROIT_GCP_PROJECT": secret_manager.project,
    }
    fn = load_function("reprocess", env)  # does not raise
    started = logged()
    assert [e["setting"] for e in started if e.get("event") == "config_error"] == [
        "ROIT_WEBHOOK_SECRETS_SECRET"
    ]
    request = {"requestId": done_request["requestId"]}
    refused = fn.post("/", **signed(request, NEW))
    assert refused.status_code == 503 and refused.get_json()["error"]["code"] == "misconfigured"
    secret_manager.put(name, NEW)
    assert fn.post("/", **signed(request, NEW)).status_code == 200
