"""A push message is bounded by what parsing it would cost, not only by its bytes (issue 22
§2): a delivery of a million ``{}`` or a status whose metadata holds a million zeros is
dead-lettered as invalid before it is parsed. The real functions and the Pub/Sub emulator."""

from __future__ import annotations

import base64
import json
import tracemalloc

import pytest

pytestmark = pytest.mark.integration

SIZING = {"ROIT_INSTANCE_MEMORY_MIB": "512", "ROIT_INSTANCE_CONCURRENCY": "10"}


def _push(data: bytes) -> dict:
    message = {"data": base64.b64encode(data).decode(), "messageId": "m-1", "attributes": {}}
    return {"message": message, "subscription": "projects/p/subscriptions/s"}


MESSAGES = {
    "register_delivery": b'{"entity":"COST_CENTER","data":['
    + b",".join([b"{}"] * 1_000_000)
    + b"]}",
    "update_status": b'{"requestId":"r","reference":"x","status":"DONE","message":"m",'
    b'"metadata":{"z":[' + b",".join([b"0"] * 1_500_000) + b"]}}",
}


@pytest.mark.parametrize("name", MESSAGES)
def test_a_message_of_too_many_values_is_dead_lettered_unparsed(
    load_function, base_env, pubsub, name
) -> None:
    dead_topic, dead_sub = pubsub.topic("roit-dead-letter")
    fn = load_function(name, {**base_env, **SIZING, "ROIT_DEAD_LETTER_TOPIC": dead_topic})
    body = json.dumps(_push(MESSAGES[name]))
    tracemalloc.start()
    try:
        answer = fn.post("/", data=body, content_type="application/json")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert answer.status_code == 200, answer.get_data()  # acknowledged: it can never succeed
    (dead,) = pubsub.pull(dead_sub, expect=1)
    assert dead.attributes["error"] == "invalid_message"
    print(f"{name}: {len(MESSAGES[name]) / 1e6:.1f} MB data, peak {peak / 2**20:.1f} MiB")
    assert peak < 12 * len(MESSAGES[name])  # parsed, it would be 20x its bytes and more


def test_the_push_envelope_itself_is_bounded(load_function, base_env, pubsub, clean_error) -> None:
    dead_topic, _ = pubsub.topic("roit-dead-letter")
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_topic})
    envelope = {"message": {"data": "", "attributes": {f"a{i}": "" for i in range(20_000)}}}
    clean_error(fn.post("/", json=envelope), 400)


def test_a_large_status_at_the_deployed_sizing_is_recorded(
    sandbox, load_function, base_env, pubsub
) -> None:
    """ROIT repeats a 9 MB metadata, longer than the answer cap of a 512 MiB / 10 instance:
    the status is still recorded (the answer is judged by its head, never held)."""
    from shared.core.settings import RoitSettings
    from shared.roit.client import RoitClient
    from shared.roit.models import PendingEntity

    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    values = {"base_url": sandbox.url, "integration_id": sandbox.integration_id,
              "client_id": sandbox.client_id, "client_secret": sandbox.client_secret}  # fmt: skip
    client = RoitClient(RoitSettings.model_validate(values))
    try:
        client.pending_page(client.pending_request(PendingEntity.DOCUMENT))  # now PROCESSING
    finally:
        client.close()
    dead_topic, _ = pubsub.topic("roit-dead-letter")
    fn = load_function(
        "update_status", {**base_env, **SIZING, "ROIT_DEAD_LETTER_TOPIC": dead_topic}
    )
    metadata = {f"f{i}": "v" * 9_000 for i in range(1_000)}  # 9 MB, 1,000 values
    update = {"requestId": state["requestId"], "reference": state["reference"],
              "status": "DONE", "message": "posted", "metadata": metadata}  # fmt: skip
    answer = fn.post("/", json=_push(json.dumps(update).encode()))
    assert answer.status_code == 200 and answer.get_json()["status"] == "ok", answer.get_data()
    assert sandbox.control.request(state["requestId"])["status"] == "DONE"
