"""Structured logging (redaction, trace) and the Pub/Sub push envelope in each form."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from shared.core.errors import InvalidInputError
from shared.core.logs import CloudLoggingFormatter, log_context, redact, trace_fields
from shared.core.pubsub import topic_path
from shared.push.envelope import parse_push

pytestmark = pytest.mark.unit

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"


def test_redact_keys_and_token_looking_values() -> None:
    out = redact(
        {
            "Authorization": "anything",
            "client_secret": "x",
            "note": f"token was {JWT}",
            "nested": [{"webhookSecret": "whsec_abc"}, "Bearer abc.def"],
            "requestId": "r-1",
        }
    )
    text = json.dumps(out)
    assert JWT not in text and "whsec_abc" not in text and "abc.def" not in text
    assert out["requestId"] == "r-1"


def test_formatter_writes_cloud_logging_json_with_context() -> None:
    record = logging.LogRecord("roit.x", logging.WARNING, __file__, 1, f"got {JWT}", None, None)
    record.fields = {"requestId": "r-9", "token": JWT}
    with log_context(
        correlationId="c-1", **{"logging.googleapis.com/trace": "projects/p/traces/t"}
    ):
        line = json.loads(CloudLoggingFormatter().format(record))
    assert line["severity"] == "WARNING"
    assert line["correlationId"] == "c-1"
    assert line["requestId"] == "r-9"
    assert line["logging.googleapis.com/trace"] == "projects/p/traces/t"
    assert JWT not in json.dumps(line)


def test_trace_fields_from_both_headers() -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    fields = trace_fields({"traceparent": f"00-{trace}-00f067aa0ba902b7-01"}, "proj")
    assert fields["logging.googleapis.com/trace"] == f"projects/proj/traces/{trace}"
    assert fields["logging.googleapis.com/spanId"] == "00f067aa0ba902b7"
    assert fields["logging.googleapis.com/trace_sampled"] is True
    fields = trace_fields({"X-Cloud-Trace-Context": f"{trace}/123;o=0"}, None)
    assert fields["logging.googleapis.com/trace"] == trace
    assert fields["logging.googleapis.com/trace_sampled"] is False
    assert trace_fields({"traceparent": "garbage"}, "p") == {}


def _b64(doc: dict) -> str:
    return base64.b64encode(json.dumps(doc).encode()).decode()


def test_raw_push_envelope() -> None:
    body = {
        "message": {
            "data": _b64({"a": 1}),
            "attributes": {"correlationId": "c"},
            "messageId": "m-1",
            "publishTime": "2026-01-01T00:00:00.123Z",
        },
        "subscription": "projects/p/subscriptions/s",
        "deliveryAttempt": 3,
    }
    msg = parse_push(body, {})
    assert json.loads(msg.data) == {"a": 1}
    assert (msg.message_id, msg.delivery_attempt, msg.subscription) == (
        "m-1",
        3,
        body["subscription"],
    )
    assert msg.attributes == {"correlationId": "c"}
    assert msg.publish_time is not None and msg.publish_time.year == 2026


def test_emulator_style_snake_case_envelope() -> None:
    body = {
        "message": {"data": _b64({}), "message_id": "7", "publish_time": "2026-01-01T00:00:00Z"}
    }
    msg = parse_push(body, {})
    assert msg.message_id == "7"
    assert msg.age_s() is not None and msg.age_s() > 0


def test_cloudevent_binary_and_structured() -> None:
    inner = {"message": {"data": _b64({"x": 2}), "messageId": "m-2"}, "subscription": "s"}
    msg = parse_push(
        inner, {"ce-id": "m-2", "ce-type": "google.cloud.pubsub.topic.v1.messagePublished"}
    )
    assert msg.message_id == "m-2"
    structured = {"specversion": "1.0", "id": "e", "type": "t", "source": "s", "data": inner}
    assert json.loads(parse_push(structured, {}).data) == {"x": 2}


@pytest.mark.parametrize(
    "body",
    [
        {"nomessage": 1},
        {"message": "text"},
        {"message": {"data": "%%%notbase64", "messageId": "1"}},
        {"message": {"data": _b64({})}},
        [1, 2],
    ],
)
def test_bad_envelopes_are_invalid_input(body) -> None:
    with pytest.raises(InvalidInputError):
        parse_push(body, {})


def test_topic_path() -> None:
    assert topic_path("roit-pending", "p") == "projects/p/topics/roit-pending"
    assert topic_path("projects/q/topics/t", None) == "projects/q/topics/t"


@pytest.mark.parametrize(
    "envelope",
    [
        {"message": {"attributes": {"é": "ção"}, "data": "eyJ4IjogMX0=", "messageId": "1"}},
        {"message": {"data": "eyJ4IjogMX0=", "message_id": "1", "attributes": {"a": "b"}}},
        {
            "specversion": "1.0",
            "id": "e",
            "data": {"message": {"data": "eyJ4IjogMX0=", "messageId": "2"}},
        },
        {"message": {"data": "", "messageId": "3"}},
        {"message": {"messageId": "4"}, "subscription": "s", "deliveryAttempt": 2},
    ],
)
def test_read_push_reads_every_envelope_as_parse_push_does(envelope) -> None:
    from shared.push.envelope import read_push

    body = json.dumps(envelope, ensure_ascii=False).encode()
    assert read_push(body, {}) == parse_push(json.loads(body), {})
    escaped = body.replace(b"eyJ4IjogMX0=", b"eyJ4Ij\\/gMX0=")  # "\/" is a valid JSON escape
    assert read_push(escaped, {}) == parse_push(json.loads(escaped), {})


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff", b"[]", b'{"message": {"data": "not base64!", "messageId": "1"}}',
     b'{"message": {"data": "e30=", "messageId": "1"}} extra', b'{"message": 1}',
     b'{"message": "hi"}', b'{"message": {"data": "e30=", "attributes": []}}'],
)  # fmt: skip
def test_read_push_refuses_what_is_not_an_envelope(body: bytes) -> None:
    from shared.push.envelope import read_push

    with pytest.raises(InvalidInputError) as caught:
        read_push(body, {})
    assert "_Message" not in caught.value.message and "instance of" not in caught.value.message
