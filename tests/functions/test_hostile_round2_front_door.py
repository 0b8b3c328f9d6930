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
    signature = standardwebhooks.Webhook(KEY).sign(msg_id, when, raw.decode())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(int(when.timestamp())),
               "webhook-signature": signature}  # fmt: skip
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


# ----------------------------------------------------------------------------- the server


def _exchange(url: str, raw: bytes) -> tuple[int, dict, bytes]:
    """Send ``raw`` on a fresh connection; the status, headers and body of the answer."""
    import contextlib
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        with contextlib.suppress(OSError):  # the server may answer and close before the end
            conn.sendall(raw)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture
def served(base_env):
    from devstack.processes.factories import function_process

    env = {**base_env, "ROIT_REPROCESS_CALLER_AUTH": "iam", "THREADS": "2"}  # 2 threads to hold
    process = function_process("reprocess", env=env, label="front-door")
    process.start().wait_ready(60)
    yield process.url
    process.stop()


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"POST /" + b"a" * (4 * 1024 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"POST / HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
        (b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20_000 + b"\r\n\r\n", 431),
        (b"GARBAGE-<script>alert(1)</script>\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", 400),
    ],
    ids=["4-MiB-request-line", "200-headers", "20-KB-header", "bad-request-line", "bad-chunk"],
)
def test_framing_errors_are_refused_early_in_the_json_shape(served, raw, status) -> None:
    got, headers, body = _exchange(served, raw)
    assert got == status
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "invalid_input" and "<script>" not in body.decode()
    assert b"aaaa" not in body  # nothing of the request is echoed


def test_a_normal_request_is_served_after_them(served, sandbox) -> None:
    import httpx

    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    answer = httpx.post(served, json={"requestId": state["requestId"]}, timeout=30)
    assert answer.status_code == 200, answer.text


# ----------------------------------------------------------------------------- slow clients


class Trickle:
    """A client that sends ``head`` and then one byte of ``drip`` every 0.3 s, for as long as
    the server keeps the connection open (at most 120 s); what the server answered, if anything."""

    def __init__(self, url: str, head: bytes, drip: bytes = b"b") -> None:
        import socket
        import threading
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
        self.sock.sendall(head)
        self.drip, self.stop = drip, threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        for _ in range(400):
            if self.stop.wait(0.3):  # pacing the client, not waiting for the server
                return
            try:
                self.sock.send(self.drip)
            except OSError:
                return  # the server closed the connection

    def answer(self) -> bytes:
        """Everything the server sent until it closed the connection (a socket timeout fails)."""
        answer = b""
        while chunk := self.sock.recv(65536):
            answer += chunk
        return answer

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


SLOW_HEAD = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: "
SLOW_BODY = (
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b'Content-Length: 4000\r\n\r\n{"requestId": "'
)


def _status_and_error(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), head
    return int(head.split()[1]), json.loads(body)["error"]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("head", [SLOW_HEAD, SLOW_BODY], ids=["headers", "body"])
def test_a_request_that_trickles_in_is_refused_with_408_and_closed(served, head) -> None:
    client = Trickle(served, head)
    try:
        status, error = _status_and_error(client.answer())
    finally:
        client.close()
    assert status == 408 and error["code"] == "invalid_input"
    assert b"requestId" not in json.dumps(error).encode()  # nothing of the request echoed


@pytest.mark.timeout(90)
def test_slow_clients_do_not_hold_the_instance_from_a_normal_request(served, sandbox) -> None:
    import httpx

    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    slow = [Trickle(served, head) for head in (SLOW_HEAD, SLOW_BODY, SLOW_HEAD, SLOW_BODY)]
    try:  # twice as many slow clients as the instance has threads
        answer = httpx.post(served, json={"requestId": state["requestId"]}, timeout=45)
        assert answer.status_code == 200, answer.text
    finally:
        for client in slow:
            client.close()
