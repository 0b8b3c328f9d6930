"""Functions as real `functions-framework` processes: two pollers racing over 1,000 documents,
and each HTTP function answering over a real socket."""

from __future__ import annotations

import json
import threading
from collections import Counter

import httpx
import pytest

from devstack.processes.factories import function_process

pytestmark = pytest.mark.integration


def _started(processes):
    try:
        for p in processes:
            p.start()
        for p in processes:
            p.wait_ready(60)
    except BaseException:
        for p in processes:
            p.stop()
        raise
    return processes


def test_two_pollers_at_once_publish_every_document_exactly_once(
    sandbox, base_env, pubsub, pubsub_emulator
) -> None:
    ids = set(sandbox.control.reset(documents=1000))
    topic, sub = pubsub.topic("roit-pending")
    dead_topic, _ = pubsub.topic("roit-pending-dead-letter")
    env = {
        **base_env,
        "ROIT_PENDING_TOPIC": topic,
        "ROIT_DEAD_LETTER_TOPIC": dead_topic,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
    }
    pollers = _started(
        [function_process("poll_pending", env=env, label=f"poller-{i}") for i in range(2)]
    )
    try:
        summaries: list[dict] = []

        def run(url: str) -> None:
            summaries.append(httpx.post(url, json={}, timeout=120).json())

        threads = [threading.Thread(target=run, args=(p.url,)) for p in pollers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(180)
    finally:
        for p in pollers:
            p.stop()

    assert len(summaries) == 2
    assert sum(s["totals"]["published"] for s in summaries) == 1000
    assert all(s["totals"]["published"] > 0 for s in summaries)  # both really worked
    messages = pubsub.pull(sub, expect=1000, timeout_s=60)
    counts = Counter(m.attributes["requestId"] for m in messages)
    assert set(counts) == ids
    assert max(counts.values()) == 1


def test_http_functions_serve_over_a_socket(sandbox, base_env, clean_error) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    team = {**base_env, "ROIT_REPROCESS_CALLER_AUTH": "iam"}
    procs = _started(
        [function_process("get_attachments", env=base_env), function_process("reprocess", env=team)]
    )
    try:
        attachments, reprocess = procs
        ok = httpx.post(attachments.url, json={"requestId": state["requestId"]}, timeout=30)
        assert ok.status_code == 200 and ok.json()["attachments"]
        bad = httpx.post(reprocess.url, content=b"{", headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_input"
        done = httpx.post(reprocess.url, json={"requestId": state["requestId"]}, timeout=30)
        assert done.status_code == 200 and done.json()["requestId"] == state["requestId"]
    finally:
        for p in procs:
            p.stop()


def test_misconfigured_function_fails_at_start_naming_the_variable(base_env) -> None:
    env = {k: v for k, v in base_env.items() if k != "ROIT_INTEGRATION_ID"}
    process = function_process("get_attachments", env=env)
    try:
        process.start()
        with pytest.raises(Exception):  # never becomes ready
            process.wait_ready(20)
        log = process.log_tail(200)
    finally:
        process.stop()
    assert "ROIT_INTEGRATION_ID: is required" in log
    assert base_env["ROIT_CLIENT_SECRET"] not in log
    (line,) = [json.loads(x) for x in log.splitlines() if '"event":"config_error"' in x]
    assert line["severity"] == "ERROR" and line["setting"] == "ROIT_INTEGRATION_ID"


def _raw_request(url: str, payload: bytes) -> tuple[int, bytes]:
    """Send bytes as they are (no client to fix them up); returns (status, body)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


BROKEN_BODIES = {
    "a chunk size that is not hex": b"zz\r\n{}\r\n0\r\n\r\n",
    "a chunk longer than announced": b'2\r\n{"requestId": 1}\r\n0\r\n\r\n',
    "no final chunk": b'5\r\n{"a":\r\n',
}


def test_a_body_broken_at_the_transport_level_is_a_json_4xx_for_every_function(
    sandbox, base_env, pubsub, pubsub_emulator
) -> None:
    topic, _ = pubsub.topic("roit-chunks")
    env = {
        **base_env,
        "ROIT_PENDING_TOPIC": topic,
        "ROIT_DEAD_LETTER_TOPIC": topic,
        "PUBSUB_EMULATOR_HOST": pubsub_emulator.host,
        "ROIT_REPROCESS_CALLER_AUTH": "iam",
    }
    names = ["poll_pending", "update_status", "register_delivery", "reprocess", "get_attachments"]
    procs = _started([function_process(name, env=env) for name in names])
    try:
        for process in procs:
            for why, body in BROKEN_BODIES.items():
                head = (
                    b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                )
                status, answer = _raw_request(process.url, head + body)
                assert 400 <= status < 500, (process.name, why, status, answer)
                assert json.loads(answer)["error"]["code"], (process.name, why)
            assert process.running(), process.name
        assert "pending" not in sandbox.control.stats()["calls"]
    finally:
        for p in procs:
            p.stop()
