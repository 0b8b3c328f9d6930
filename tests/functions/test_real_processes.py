"""Functions as real `functions-framework` processes: two pollers racing over 1,000 documents,
and each HTTP function answering over a real socket."""

from __future__ import annotations

import threading
from collections import Counter

import httpx
import pytest

from devstack.processes import function_process

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
