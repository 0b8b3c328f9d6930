"""The failure table, function by function: who is blamed, what is logged, what is kept.

Functions run under functions-framework's test client against the real sandbox and the real
Pub/Sub emulator; their JSON log lines are read from stdout.
"""

from __future__ import annotations

import base64
import json

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def dead_letter(pubsub):
    return pubsub.topic("roit-dead-letter")


@pytest.fixture
def request_id(sandbox) -> str:
    (request_id,) = sandbox.control.reset(documents=1)
    return request_id


def _status(request_id: str) -> dict:
    return {"requestId": request_id, "reference": "r", "status": "DONE", "message": "ok"}


TOKEN_FAULTS = [
    ({"fail_next": 99, "error_status": 404}, "ROIT_TOKEN_URL"),
    ({"fail_next": 99, "error_status": 400}, "ROIT_TOKEN_REQUEST_FORMAT"),
    ({"fail_next": 99, "error_status": 401}, "ROIT_CREDENTIALS_SECRET"),
    ({"token_missing_next": 99}, "ROIT_TOKEN_RESPONSE_FIELD"),
    ({"token_bad_chars_next": 99}, "ROIT_TOKEN_RESPONSE_FIELD"),
    ({"redirect_next": 99}, "ROIT_TOKEN_URL"),
]


@pytest.mark.parametrize(("fault", "setting"), TOKEN_FAULTS)
def test_a_push_function_keeps_the_message_when_the_token_exchange_fails(
    sandbox,
    load_function,
    base_env,
    dead_letter,
    pubsub,
    push_body,
    logged,
    request_id,
    fault,
    setting,
) -> None:
    sandbox.control.set_fault("token", **fault)
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    logged()  # what loading the function logged is not this test's
    response = fn.post("/", json=push_body(_status(request_id)))
    assert response.status_code == 503  # Pub/Sub redelivers: the message is not at fault
    assert pubsub.pull(dead_letter[1]) == []
    errors = [line for line in logged() if line["severity"] == "ERROR"]
    assert len(errors) == 1, errors  # one ERROR, naming the setting to check
    assert errors[0]["event"] == "config_error"
    assert setting in errors[0]["setting"] and setting in errors[0]["message"]


@pytest.mark.parametrize(("fault", "setting"), TOKEN_FAULTS)
def test_an_http_function_never_blames_its_caller_for_the_token_exchange(
    sandbox, load_function, base_env, clean_error, logged, request_id, fault, setting
) -> None:
    sandbox.control.set_fault("token", **fault)
    fn = load_function("get_attachments", base_env)
    logged()  # what loading the function logged is not this test's
    body = clean_error(fn.post("/", json={"requestId": request_id}), 503)  # the table's row
    assert body["error"]["code"] == "misconfigured"
    assert any(line.get("setting") and setting in line["setting"] for line in logged())


def test_403_and_redirects_are_retried_never_dead_lettered(
    sandbox, load_function, base_env, dead_letter, pubsub, push_body, request_id
) -> None:
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    for fault in ({"fail_next": 1, "error_status": 403}, {"redirect_next": 1}):
        sandbox.control.set_fault("status", **fault)
        assert fn.post("/", json=push_body(_status(request_id))).status_code == 503
    assert pubsub.pull(dead_letter[1]) == []


_HEAD = b'{"requestId": "r", "reference": "x", "status": "DONE"'


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_HEAD + b', "message": "\\ud800"}', "a lone surrogate"),
        (_HEAD + b', "message": "m", "metadata": {"n": NaN}}', "NaN"),
        (_HEAD + b', "message": "m", "metadata": {"n": 1e999}}', "a number too large"),
        (_HEAD + b', "message": "m", "requestId": "s"}', "a duplicate key"),
        (_HEAD + b', "message": "m", "systemInfo": ' + b'{"a": ' * 70 + b"1" + b"}" * 71, "depth"),
        (_HEAD + b', "message": "m\xff"}', "not UTF-8"),
    ],
)
def test_a_message_that_can_never_succeed_is_dead_lettered_not_retried(
    sandbox, load_function, base_env, dead_letter, pubsub, push_body, data, why
) -> None:
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    response = fn.post("/", json=push_body(data))
    assert response.status_code == 200, (why, response.get_json())
    assert response.get_json()["error"] == "invalid_message"
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert dead.data == data  # kept exactly as sent, never "fixed" into something else
    assert "status" not in sandbox.control.stats()["calls"]


def test_delivery_items_that_can_never_succeed_are_dead_lettered(
    load_function, base_env, dead_letter, pubsub, push_body
) -> None:
    fn = load_function("register_delivery", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    data = b'{"entity": "COST_CENTER", "data": [{"code": "\\udfff"}]}'
    assert fn.post("/", json=push_body(data)).get_json()["error"] == "invalid_message"
    assert len(pubsub.pull(dead_letter[1], expect=1)) == 1


def test_dead_letters_keep_every_original_attribute_whatever_its_name(
    load_function, base_env, dead_letter, pubsub, push_body
) -> None:
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    attributes = {"timeout": "5", "retry": "no", "ordering_key": "k", "data": "d", "topic": "t"}
    response = fn.post("/", json=push_body(b"not json", attributes=attributes))
    assert response.get_json()["status"] == "dead_lettered"
    (dead,) = pubsub.pull(dead_letter[1], expect=1)
    assert {k: dead.attributes[k] for k in attributes} == attributes
    assert dead.attributes["error"] == "invalid_message"


def test_the_invocation_deadline_leaves_an_unfinished_delivery_to_pubsub(
    sandbox, load_function, base_env, dead_letter, pubsub, push_body
) -> None:
    env = {
        **base_env,
        "ROIT_DEAD_LETTER_TOPIC": dead_letter[0],
        "ROIT_DELIVERY_MAX_BATCH": "1",
        "ROIT_FUNCTION_TIMEOUT_S": "10",  # 5 s of work once the reserve is kept back
        "ROIT_RETRY_BUDGET_S": "3",
    }
    fn = load_function("register_delivery", env)
    sandbox.control.set_fault("delivery", latency_ms=1000)
    items = [{"code": f"CC{i}"} for i in range(20)]
    response = fn.post("/", json=push_body({"entity": "COST_CENTER", "data": items}))
    assert response.status_code == 503  # not done: Pub/Sub will redeliver the message
    assert response.get_json()["error"] == "deadline"
    assert 3 <= len(sandbox.control.deliveries()) <= 6  # stopped near the 5 s mark
    assert pubsub.pull(dead_letter[1]) == []


def test_a_delivery_too_large_for_one_invocation_goes_on_as_a_new_message_and_finishes(
    sandbox, load_function, base_env, dead_letter, pubsub, push_body, logged
) -> None:
    deliveries_topic, deliveries_sub = pubsub.topic("roit-deliveries")
    env = {
        **base_env,
        "ROIT_DEAD_LETTER_TOPIC": dead_letter[0],
        "ROIT_DELIVERIES_TOPIC": deliveries_topic,
        "ROIT_DELIVERY_MAX_BATCH": "1",
        "ROIT_FUNCTION_TIMEOUT_S": "16",  # 11 s, a quarter of it kept back to hand the rest on
        "ROIT_RETRY_BUDGET_S": "3",
    }
    fn = load_function("register_delivery", env)
    sandbox.control.set_fault("delivery", latency_ms=1000)
    items = [{"code": f"CC{i}"} for i in range(12)]
    body = push_body({"entity": "COST_CENTER", "data": items}, attributes={"correlationId": "c"})
    answers, messages = [], 0
    while True:  # what Pub/Sub does: push each message the function hands on
        answer = fn.post("/", json=body)
        assert answer.status_code == 200, answer.get_json()  # acknowledged: it moved on
        answers.append(answer.get_json())
        if "continuedAs" not in answers[-1]:
            break
        (rest,) = pubsub.pull(deliveries_sub, expect=1)
        assert rest.attributes["correlationId"] == "c"  # the original's attributes kept
        assert rest.attributes["continuationOf"] == body["message"]["messageId"]
        assert int(rest.attributes["itemsDelivered"]) == answers[-1]["items"]
        body = push_body(rest.data, attributes=dict(rest.attributes))
        messages += 1
        assert messages < 6, answers
    assert messages >= 1  # 12 items at 1 s each never fit in 6 s
    sent = [i["code"] for d in sandbox.control.deliveries() for i in d["data"]]
    assert set(sent) == {i["code"] for i in items}  # none lost
    assert len(sent) - len(items) <= messages  # at most the batch cut in flight, sent again
    assert pubsub.pull(dead_letter[1]) == []
    events = [line.get("event") for line in logged()]
    assert events.count("delivery_continued") == messages


def test_an_envelope_refused_at_the_edge_is_logged(load_function, base_env, dead_letter, logged):
    fn = load_function("update_status", {**base_env, "ROIT_DEAD_LETTER_TOPIC": dead_letter[0]})
    logged()  # what loading the function logged is not this test's
    assert fn.post("/", json={"not": "an envelope"}).status_code == 400
    (line,) = [entry for entry in logged() if "refused" in entry["message"]]
    assert line["severity"] == "WARNING" and line["status"] == 400


def test_an_unexpected_error_is_logged_once_with_its_stack_trace(
    load_function, base_env, monkeypatch, logged, request_id
) -> None:
    from shared.roit.client import RoitClient

    def broken(self, *args, **kwargs):
        raise KeyError("a bug")

    fn = load_function("get_attachments", base_env)
    monkeypatch.setattr(RoitClient, "attachments", broken)  # a bug, on purpose
    logged()  # what loading the function logged is not this test's
    response = fn.post("/", json={"requestId": request_id})
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal", "message": "internal error"}}
    traces = [line for line in logged() if "stack_trace" in line]
    assert len(traces) == 1
    assert "Traceback" in traces[0]["stack_trace"] and "KeyError" in traces[0]["stack_trace"]
    assert traces[0]["severity"] == "ERROR"


def test_roits_error_text_is_relayed_without_the_connectors_secrets(
    sandbox, load_function, base_env, clean_error, capsys
) -> None:
    from shared.core.logs import register_secret

    secret = "relayed-secret-value-42"
    register_secret(secret)  # as the connector does with its client secret and tokens
    sandbox.control.reset(documents=0)
    fn = load_function("get_attachments", base_env)
    # ROIT's own 404 message quotes what it was sent: the requestId here.
    body = clean_error(fn.post("/", json={"requestId": f"x-{secret}"}), 404)
    assert secret not in json.dumps(body)
    assert secret not in capsys.readouterr().out
    assert base64.b64encode(secret.encode()).decode() not in json.dumps(body)
