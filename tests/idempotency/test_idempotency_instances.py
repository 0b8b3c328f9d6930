"""Each rule with TWO real instances of a function (functions-framework processes) sharing
the store on the real Firestore emulator: what one instance did, the other (and the first
after a restart) knows."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import standardwebhooks

from devstack.processes.factories import function_process
from devstack.processes.managed import ManagedProcess
from shared.push.envelope import parse_push
from shared.push.once import message_key

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@pytest.fixture
def env(sandbox, firestore_emulator) -> dict[str, str]:
    os.environ["FIRESTORE_EMULATOR_HOST"] = firestore_emulator.host  # for _held() below
    return {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_GCP_PROJECT": firestore_emulator.project,
        "ROIT_RETRY_MAX_ATTEMPTS": "1",
        "ROIT_RETRY_BUDGET_S": "5",
        "ROIT_FUNCTION_TIMEOUT_S": "10",
        "ROIT_DEAD_LETTER_TOPIC": "roit-dead-letter",
        "ROIT_IDEMPOTENCY_STORE": "firestore",
        "ROIT_IDEMPOTENCY_COLLECTION": f"two-{uuid.uuid4().hex[:10]}",
        "FIRESTORE_EMULATOR_HOST": firestore_emulator.host,
    }


@pytest.fixture
def two() -> Iterator[Any]:
    """``two(name, env)`` starts two instances of a function; all stopped after the test."""
    started: list[ManagedProcess] = []

    def start(name: str, env: dict[str, str]) -> tuple[ManagedProcess, ManagedProcess]:
        pair = tuple(function_process(name, env=env, label=f"{name}-{i}") for i in "ab")
        for process in pair:
            started.append(process)
            process.start()
        for process in pair:
            process.wait_ready(60)
        return pair  # type: ignore[return-value]

    try:
        yield start
    finally:
        for process in started:
            process.stop()


def _calls(sandbox, endpoint: str) -> int:
    return sum(sandbox.control.stats()["calls"].get(endpoint, {}).values())


def _signed(body: dict, *, msg_id: str, ts: float | None = None) -> dict[str, Any]:
    raw = json.dumps(body)
    when = datetime.fromtimestamp(ts or time.time(), tz=UTC)
    return {
        "content": raw,
        "headers": {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": standardwebhooks.Webhook(SECRET).sign(msg_id, when, raw),
        },
    }


def _envelope(data: dict, *, message_id: str, published: float | None = None) -> dict:
    stamp = datetime.fromtimestamp(published or time.time(), UTC)
    return {
        "message": {
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": message_id,
            "publishTime": stamp.isoformat().replace("+00:00", "Z"),
        },
        "subscription": "projects/roit-local/subscriptions/test-push",
    }


# --- webhooks ----------------------------------------------------------------------------


@pytest.fixture
def webhook_env(env) -> dict[str, str]:
    return {**env, "ROIT_REPROCESS_CALLER_AUTH": "webhook", "ROIT_WEBHOOK_SECRETS": SECRET}


def _one_request_two_webhook_instances(sandbox, two, env) -> tuple[dict, Any, Any, dict]:
    """A fresh sandbox with one request, two reprocess-webhook instances sharing the store, and
    a signed call (a new ``webhook-id``) that names the request."""
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    a, b = two("reprocess", env)
    call = _signed({"requestId": state["requestId"]}, msg_id=f"msg_{uuid.uuid4().hex}")
    return state, a, b, call


def test_a_webhook_replayed_to_another_instance_or_after_a_restart_reaches_roit_once(
    sandbox, two, webhook_env
) -> None:
    _, a, b, call = _one_request_two_webhook_instances(sandbox, two, webhook_env)
    first = httpx.post(a.url, **call, timeout=30)
    assert first.status_code == 200, first.text
    replayed = httpx.post(b.url, **call, timeout=30)
    assert replayed.status_code == 200 and replayed.headers["Webhook-Replayed"] == "true"
    assert replayed.json() == first.json()  # the stored answer
    a.stop()
    a.start().wait_ready(60)
    assert httpx.post(a.url, **call, timeout=30).headers.get("Webhook-Replayed") == "true"
    assert _calls(sandbox, "reprocess") == 1


def test_a_webhook_replayed_while_the_first_is_in_progress_is_refused(
    sandbox, two, webhook_env
) -> None:
    _, a, b, call = _one_request_two_webhook_instances(sandbox, two, webhook_env)
    sandbox.control.set_fault("reprocess", latency_ms=2500)
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(httpx.post(a.url, **call, timeout=30)))
    slow.start()
    _wait_for(lambda: _held(webhook_env, f"webhook/{call['headers']['webhook-id']}"))
    replay = httpx.post(b.url, **call, timeout=30)
    slow.join(30)
    assert replay.status_code == 401 and "replay" in replay.json()["error"]["message"]
    assert answers[0].status_code == 200
    assert _calls(sandbox, "reprocess") == 1


def test_a_webhook_retried_after_a_gateway_failure_is_processed_by_another_instance(
    sandbox, two, webhook_env
) -> None:
    state, a, b, call = _one_request_two_webhook_instances(sandbox, two, webhook_env)
    sandbox.control.set_fault("reprocess", fail_next=1, error_status=502)
    assert httpx.post(a.url, **call, timeout=30).status_code == 502
    retried = httpx.post(b.url, **call, timeout=30)
    assert retried.status_code == 200, retried.text
    assert "Webhook-Replayed" not in retried.headers
    assert sandbox.control.request(state["requestId"])["status"] == "PENDING"


# --- push messages -----------------------------------------------------------------------


def _status(state: dict, status: str) -> dict:
    return {
        "requestId": state["requestId"],
        "reference": state["reference"],
        "status": status,
        "message": f"{status} in the ERP",
    }


def test_a_status_redelivered_to_another_instance_is_acked_without_calling_roit(
    sandbox, two, env, processing
) -> None:
    a, b = two("update_status", env)
    envelope = _envelope(_status(processing, "DONE"), message_id=uuid.uuid4().hex)
    assert httpx.post(a.url, json=envelope, timeout=30).json()["status"] == "ok"
    again = httpx.post(b.url, json=envelope, timeout=30)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    b.stop()
    b.start().wait_ready(60)
    assert httpx.post(b.url, json=envelope, timeout=30).json()["duplicate"] is True
    assert _calls(sandbox, "status") == 1


def test_an_older_status_arriving_after_a_newer_one_is_acked_not_applied(
    sandbox, two, env, processing
) -> None:
    a, b = two("update_status", env)
    sent = time.time()
    done = _envelope(_status(processing, "DONE"), message_id=uuid.uuid4().hex, published=sent)
    warning = _envelope(
        _status(processing, "WARNING"), message_id=uuid.uuid4().hex, published=sent + 3.5
    )
    assert httpx.post(a.url, json=warning, timeout=30).json()["reported"] == "WARNING"
    late = httpx.post(b.url, json=done, timeout=30)  # DONE was retrying meanwhile
    assert late.status_code == 200 and late.json()["skipped"] == "older_than_applied"
    assert sandbox.control.request(processing["requestId"])["status"] == "WARNING"
    assert _calls(sandbox, "status") == 1


def test_a_crashed_instance_never_blocks_the_retry_past_its_deadline(
    sandbox, two, env, processing
) -> None:
    a, b = two("update_status", env)
    sandbox.control.set_fault("token", latency_ms=20_000)  # A hangs before calling ROIT
    envelope = _envelope(_status(processing, "DONE"), message_id=uuid.uuid4().hex)
    threading.Thread(target=_post_ignoring_the_crash, args=(a.url, envelope), daemon=True).start()
    _wait_for(lambda: _held(env, message_key("update_status", parse_push(envelope, {}))))
    claimed_at = time.time()
    a.kill()  # the instance dies holding the claim
    sandbox.control.clear_faults()
    busy = httpx.post(b.url, json=envelope, timeout=30)
    assert busy.status_code == 503  # being applied elsewhere: Pub/Sub redelivers later
    assert busy.json() == {"status": "retry", "error": "busy"}
    answer = _redeliver_until_acked(b.url, envelope, within_s=20)
    waited = time.time() - claimed_at
    assert answer.json()["reported"] == "DONE"
    assert waited <= 10 + 5  # the claim lapsed with A's invocation (timeout 10 s)
    assert _calls(sandbox, "status") == 1


def test_a_redelivered_delivery_resumes_after_the_last_batch_roit_accepted(
    sandbox, two, env
) -> None:
    sandbox.control.reset()
    a, b = two("register_delivery", {**env, "ROIT_DELIVERY_MAX_BATCH": "2"})
    for process in (a, b):  # warm: token, Firestore client, connections (not in the timing)
        warm = {"entity": "COST_CENTER", "data": [{"code": "W", "name": "Warm-up"}]}
        assert httpx.post(process.url, json=_envelope(warm, message_id=uuid.uuid4().hex)).is_success
    items = [{"code": f"CC-{i}", "name": f"Cost center {i}"} for i in range(6)]
    envelope = _envelope({"entity": "COST_CENTER", "data": items}, message_id=uuid.uuid4().hex)
    # each call takes 2 s: the invocation's 5 s end while the third batch is in flight
    sandbox.control.set_fault("delivery", latency_ms=2000)
    first = httpx.post(a.url, json=envelope, timeout=30)
    assert first.status_code == 503  # Pub/Sub redelivers
    sandbox.control.clear_faults()
    second = httpx.post(b.url, json=envelope, timeout=30)
    assert second.status_code == 200, second.text
    resumed = second.json()["resumedAt"]  # what A had recorded as accepted by ROIT
    assert resumed >= 2 and second.json()["calls"] == (len(items) - resumed + 1) // 2
    sent = [i["code"] for d in sandbox.control.deliveries() for i in d["data"] if i["code"] != "W"]
    assert sorted(set(sent)) == sorted(i["code"] for i in items)
    assert all(sent.count(f"CC-{i}") == 1 for i in range(resumed))  # never sent again


# --- the poll run ------------------------------------------------------------------------


def test_two_poll_runs_never_overlap_across_instances(sandbox, two, env, pubsub_emulator) -> None:
    from google.cloud import pubsub_v1

    sandbox.control.reset(documents=3)
    topic = f"roit-pending-{uuid.uuid4().hex[:8]}"
    os.environ["PUBSUB_EMULATOR_HOST"] = pubsub_emulator.host
    publisher = pubsub_v1.PublisherClient()
    publisher.create_topic(request={"name": publisher.topic_path(pubsub_emulator.project, topic)})
    poll_env = {
        **env,
        "ROIT_FUNCTION_TIMEOUT_S": "60",
        "ROIT_POLL_TIME_BUDGET_S": "20",
        "ROIT_PENDING_TOPIC": topic,
        "ROIT_DEAD_LETTER_TOPIC": topic,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
    }
    a, b = two("poll_pending", poll_env)
    sandbox.control.set_fault("pending", latency_ms=2500)
    answers: list[httpx.Response] = []
    run = threading.Thread(target=lambda: answers.append(httpx.post(a.url, json={}, timeout=60)))
    run.start()
    _wait_for(lambda: _held(poll_env, "lease/poll_pending"))
    refused = httpx.post(b.url, json={}, timeout=60)
    run.join(60)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "poll_in_progress"
    assert answers[0].status_code == 200, answers[0].text
    sandbox.control.clear_faults()
    assert httpx.post(b.url, json={}, timeout=60).status_code == 200  # the lease was given back


# --- helpers -----------------------------------------------------------------------------


def _held(env: dict[str, str], key: str) -> bool:
    """Whether an instance holds ``key`` in the store now (read straight from the emulator)."""
    from google.cloud import firestore

    from shared.idempotency.firestore import document_id

    client = firestore.Client(project=env["ROIT_GCP_PROJECT"])
    ref = client.collection(env["ROIT_IDEMPOTENCY_COLLECTION"]).document(document_id(key))
    record = ref.get().to_dict()
    return record is not None and record["state"] == "in_progress"


def _post_ignoring_the_crash(url: str, envelope: dict) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the instance is killed mid-request
        httpx.post(url, json=envelope, timeout=30)


def _wait_for(condition: Any, within_s: float = 15) -> None:
    ends = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < ends, "the condition did not hold in time"
        time.sleep(0.05)


def _redeliver_until_acked(url: str, envelope: dict, within_s: float) -> httpx.Response:
    """What Pub/Sub does: deliver again, with backoff, until acknowledged."""
    ends = time.monotonic() + within_s
    while True:
        answer = httpx.post(url, json=envelope, timeout=30)
        if answer.status_code == 200 or time.monotonic() > ends:
            return answer
        time.sleep(0.5)
