"""update_status and register_delivery: the push envelope, and retry vs dead-letter decisions.

Dead-lettered messages are read back from a real dead-letter topic on the emulator.
"""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def dead_letter(pubsub):
    return pubsub.topic("roit-dead-letter")  # (topic id, subscription)


@pytest.fixture
def status_fn(load_function, base_env, dead_letter):
    return load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})


@pytest.fixture
def delivery_fn(load_function, base_env, dead_letter):
    env = {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0], "ROIT_DELIVERY_MAX_BATCH": "2"}
    return load_function("register_delivery", env)


def _status(state, status="DONE", **extra):
    return {
        "requestId": state["requestId"],
        "reference": state["reference"],
        "status": status,
        "message": "posted in the ERP",
        **extra,
    }


def test_status_reported_to_roit(sandbox, status_fn, processing, push_body) -> None:
    body = push_body(_status(processing, entryReference=123), attributes={"correlationId": "c-9"})
    response = status_fn.post("/", json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "ok"
    assert sandbox.control.request(processing["requestId"])["status"] == "DONE"


def test_cloudevent_forms_are_accepted(sandbox, status_fn, processing, push_body) -> None:
    envelope = push_body(_status(processing, "ERROR"))
    binary = status_fn.post(
        "/",
        json={"message": envelope["message"], "subscription": envelope["subscription"]},
        headers={
            "ce-id": envelope["message"]["messageId"],
            "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
            "ce-source": "//pubsub.googleapis.com/projects/roit-local/topics/roit-status",
            "ce-specversion": "1.0",
        },
    )
    assert binary.status_code == 200
    structured = status_fn.post(
        "/",
        json={"specversion": "1.0", "id": "e-1", "type": "t", "source": "s", "data": envelope},
        content_type="application/cloudevents+json",
    )
    assert structured.status_code == 200
    assert sandbox.control.request(processing["requestId"])["status"] == "ERROR"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "invalid_message"),
        (
            {"requestId": "r", "reference": "x", "status": "FINISHED", "message": "m"},
            "invalid_message",
        ),
        ({"requestId": "r", "status": "DONE", "message": "m"}, "invalid_message"),
        (
            {"requestId": "r", "reference": "x", "status": "DONE", "message": "m", "x": 1},
            "invalid_message",
        ),
        (
            {"requestId": "unknown", "reference": "x", "status": "DONE", "message": "m"},
            "roit_rejected_404",
        ),
    ],
)
def test_permanent_failures_are_dead_lettered_and_acked(
    sandbox, status_fn, dead_letter, pubsub, push_body, payload, code
) -> None:
    body = push_body(payload, attributes={"correlationId": "c-1"})
    response = status_fn.post("/", json=body)
    assert response.status_code == 200  # acknowledged: Pub/Sub will not redeliver
    assert response.get_json()["status"] == "dead_lettered"
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert dead.attributes["error"] == code
    assert dead.attributes["reason"]
    assert dead.attributes["correlationId"] == "c-1"
    assert dead.attributes["originalMessageId"] == body["message"]["messageId"]
    assert dead.data == base64.b64decode(body["message"]["data"])  # the original, untouched


@pytest.mark.parametrize("message_id", ["9" * 1100, "id-\ud800", "é" * 600])
def test_a_dead_letter_keeps_its_reason_whatever_the_message_id(
    status_fn, dead_letter, pubsub, push_body, message_id
) -> None:
    body = push_body({"requestId": "r"})  # can never succeed: dead-lettered
    body["message"]["messageId"] = message_id
    response = status_fn.post("/", json=body)
    assert response.get_json()["status"] == "dead_lettered"
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert dead.attributes["error"] == "invalid_message" and dead.attributes["reason"]
    assert dead.attributes["originalMessageId"]  # as much of it as Pub/Sub takes
    assert dead.attributes["sourceSubscription"] and dead.attributes["failedAt"]


def test_roit_reference_mismatch_is_dead_lettered(
    sandbox, status_fn, processing, dead_letter, pubsub, push_body
) -> None:
    response = status_fn.post("/", json=push_body(_status(processing, reference="wrong-ref")))
    assert response.get_json()["status"] == "dead_lettered"
    assert pubsub.pull(dead_letter[1], expect=1)[0].attributes["error"] == "roit_rejected_400"


@pytest.mark.parametrize(
    "fault",
    [
        {"error_rate": 1.0, "error_status": 503},
        {"rate_limit_next": 10, "retry_after": 7},
        {"drop_rate": 1.0},
    ],
)
def test_transient_failures_ask_for_redelivery(
    sandbox, status_fn, processing, dead_letter, pubsub, push_body, fault
) -> None:
    sandbox.control.set_fault("status", **fault)
    response = status_fn.post("/", json=push_body(_status(processing)))
    assert response.status_code == 503
    assert response.get_json()["status"] == "retry"
    if "retry_after" in fault:
        assert response.headers["Retry-After"] == "7"
    assert pubsub.pull(dead_letter[1]) == []  # nothing dead-lettered
    assert sandbox.control.request(processing["requestId"])["status"] == "PROCESSING"


def test_token_refused_is_transient(
    sandbox, load_function, base_env, dead_letter, processing, push_body, pubsub
) -> None:
    env = {
        **base_env,
        "ROIT_DEAD_LETTER_TOPIC": dead_letter[0],
        "ROIT_CLIENT_SECRET": "rotated-away",
    }
    response = load_function("update_status", env).post("/", json=push_body(_status(processing)))
    assert response.status_code == 503  # our credentials, not the message: keep it
    assert pubsub.pull(dead_letter[1]) == []


def test_too_old_message_is_dead_lettered(
    status_fn, processing, dead_letter, pubsub, push_body, load_function, base_env
) -> None:
    env = {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0], "ROIT_MAX_MESSAGE_AGE_S": "60"}
    fn = load_function("update_status", env)
    response = fn.post("/", json=push_body(_status(processing), age_s=3600))
    assert response.get_json()["error"] == "too_old"
    assert pubsub.pull(dead_letter[1], expect=1)[0].attributes["error"] == "too_old"


def test_dead_letter_topic_unavailable_means_no_ack(
    load_function, base_env, pubsub, push_body
) -> None:
    env = {**base_env, "ROIT_DEAD_LETTER_TOPIC": "roit-no-such-topic"}
    response = load_function("update_status", env).post("/", json=push_body(b"garbage"))
    assert response.status_code == 503
    assert response.get_json()["error"] == "dead_letter_unavailable"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "{broken", "content_type": "application/json"},
        {"json": {"message": {"data": "SECRET-MARKER-7f3a%%", "messageId": "1"}}},
        {"json": {"message": {"data": "e30="}}},
        {"json": {"nothing": "SECRET-MARKER-7f3a"}},
        {"data": "", "content_type": "application/json"},
        {"data": "message=1", "content_type": "text/plain"},
    ],
)
def test_requests_that_are_not_push_envelopes_get_a_clean_4xx(
    status_fn, delivery_fn, clean_error, kwargs
) -> None:
    for fn in (status_fn, delivery_fn):
        clean_error(fn.post("/", **kwargs), 400, 415)


def test_delivery_split_into_batches(sandbox, delivery_fn, push_body) -> None:
    items = [{"code": f"CC-{i}", "name": f"Cost center {i}"} for i in range(5)]
    message = {"entity": "COST_CENTER", "data": items, "subEntity": "BR"}
    response = delivery_fn.post("/", json=push_body(message))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["calls"] == 3
    deliveries = sandbox.control.deliveries()
    assert [len(d["data"]) for d in deliveries] == [2, 2, 1]
    assert [i for d in deliveries for i in d["data"]] == items
    assert deliveries[0]["integrationId"] == sandbox.integration_id


def test_delivery_refused_by_roit_is_dead_lettered(
    sandbox, delivery_fn, dead_letter, pubsub, push_body
) -> None:
    bad = {
        "entity": "SUPPLIER",
        "data": [{"code": "S1", "name": "ACME", "nationalRegister": "11111111111111"}],
    }
    response = delivery_fn.post("/", json=push_body(bad))
    assert response.get_json()["status"] == "dead_lettered"
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert dead.attributes["error"] == "roit_rejected_400"
    assert json.loads(dead.data) == bad
    assert sandbox.control.deliveries() == []


def test_delivery_with_unknown_entity_is_dead_lettered(
    delivery_fn, dead_letter, pubsub, push_body
) -> None:
    response = delivery_fn.post("/", json=push_body({"entity": "ERP_PARAMS", "data": [{}]}))
    assert response.get_json()["error"] == "invalid_message"
    assert pubsub.pull(dead_letter[1], expect=1)[0].attributes["error"] == "invalid_message"


def test_partial_delivery_dead_letters_only_what_was_not_registered(
    sandbox, delivery_fn, dead_letter, pubsub, push_body
) -> None:
    from sandbox.seed.fiscal import cnpj_check_digits

    def supplier(i: int, valid: bool = True) -> dict:
        base = f"{11222333 + i:08d}0001"
        cnpj = base + (cnpj_check_digits(base) if valid else "00")
        return {"code": f"S{i}", "name": f"Supplier {i}", "nationalRegister": cnpj}

    items = [supplier(0), supplier(1), supplier(2, valid=False), supplier(3)]
    response = delivery_fn.post("/", json=push_body({"entity": "SUPPLIER", "data": items}))
    assert response.get_json()["status"] == "dead_lettered"
    assert [i for d in sandbox.control.deliveries() for i in d["data"]] == items[:2]
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert dead.attributes["itemsDelivered"] == "2" and dead.attributes["itemsTotal"] == "4"
    remainder = json.loads(dead.data)
    assert remainder["data"] == items[2:] and remainder["entity"] == "SUPPLIER"


def test_deeply_nested_data_is_invalid_not_a_crash(
    status_fn, delivery_fn, dead_letter, pubsub, push_body, clean_error
) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    response = status_fn.post("/", json=push_body(nested))
    assert response.status_code == 200 and response.get_json()["error"] == "invalid_message"
    assert pubsub.pull(dead_letter[1], expect=1)[0].attributes["error"] == "invalid_message"
    body = b'{"message": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    clean_error(delivery_fn.post("/", data=body, content_type="application/json"), 400)


def test_a_large_legitimate_message_is_not_refused_for_its_size(
    sandbox, delivery_fn, push_body
) -> None:
    items = [{"code": f"CC{i}", "name": "x" * 7000} for i in range(1200)]  # ~8.4 MB of data
    response = delivery_fn.post("/", json=push_body({"entity": "COST_CENTER", "data": items}))
    assert response.status_code == 200, response.get_json()
    assert sum(len(d["data"]) for d in sandbox.control.deliveries()) == 1200
