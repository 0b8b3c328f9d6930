"""Faults in the answer's body: drip, stall, oversize, over real HTTP (a sandbox process).

For ``pending`` they come after the page was committed (the entities are PROCESSING even
though the client never gets a usable answer).
"""

from __future__ import annotations

import gzip
import inspect
import json
import math
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    DELIVERY_PATH,
    ENTRYPOINT,
    INTEGRATION_ID,
    PENDING_BODY,
    TOKEN_PATH,
    RoitClient,
    SandboxProcess,
    raw_request,
    wait_for,
)

from sandbox.faults.shaping import OVERSIZE_CHUNK, drip, oversize, stall
from sandbox.responses import Pause, Response

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
TOKEN_BODY = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}


def _statuses(sb: SandboxProcess) -> set[str]:
    return {s["status"] for s in sb.control.requests()}


def _pending_raw(roit: RoitClient) -> tuple[bytes, dict[str, str]]:
    headers = {"Authorization": roit.token, "Content-Type": "application/json"}
    return json.dumps(PENDING_BODY).encode(), headers


def test_slow_body_sends_headers_at_once_then_drips_the_whole_body(sb: SandboxProcess) -> None:
    sb.control.set_fault("token", slow_body_next=1, drip_bytes=64, drip_interval_ms=40)
    with httpx.Client(base_url=sb.url) as http:
        started = time.monotonic()
        with http.stream("POST", TOKEN_PATH, json=TOKEN_BODY) as response:
            headers_after = time.monotonic() - started
            body = response.read()
        body_after = time.monotonic() - started
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(body)
    pieces = math.ceil(len(body) / 64)
    assert pieces >= 4
    assert headers_after < pieces * 0.040  # the headers did not wait for the body
    assert body_after - headers_after >= pieces * 0.040 * 0.9  # one interval before each piece
    token = json.loads(body)["data"]["token"]
    assert RoitClient(sb.url, token=token).pending().status_code == 200  # a real token
    stats = sb.control.stats()
    assert stats["calls"]["token"] == {"slow_body": 1}
    assert stats["tokenExchanges"] == 1
    assert sb.control.faults()["token"]["slow_body_next"] == 0


def test_slow_pending_comes_after_the_commit(sb: SandboxProcess, roit: RoitClient) -> None:
    created = set(sb.control.seed(documents=2))
    sb.control.set_fault("pending", slow_body_next=1, drip_bytes=1024, drip_interval_ms=100)
    with roit.http.stream(
        "POST",
        f"{ENTRYPOINT}/pending",
        json=PENDING_BODY,
        headers={"Authorization": roit.token},
    ) as response:
        assert response.status_code == 200
        assert _statuses(sb) == {"PROCESSING"}  # committed before the body is out
        records = json.loads(response.read())["data"]
    assert {r["requestId"] for r in records} == created
    assert sb.control.stats()["calls"]["pending"] == {"slow_body": 1}
    assert roit.pending().json()["data"] == []


def test_client_hanging_up_stops_the_drip(sb: SandboxProcess) -> None:
    sb.control.set_fault("token", slow_body_next=1, drip_bytes=1, drip_interval_ms=200)
    answer = raw_request(
        sb.url,
        "POST",
        TOKEN_PATH,
        json.dumps(TOKEN_BODY).encode(),
        {"Content-Type": "application/json"},
    )
    assert answer.status == 200 and answer.body == b""
    assert answer.read_until_quiet(0.3, limit_s=0.5)  # a byte or two: it is dripping
    answer.sock.close()
    # the server notices at its next pause, long before the ~80 s the drip would take
    assert wait_for(lambda: sb.control.stats()["hangups"] == {"token": 1}, limit_s=2)


def test_hang_ups_are_quiet_and_counted(start_sandbox: Callable[..., SandboxProcess]) -> None:
    proc = start_sandbox("--seed", "0")
    body, headers = json.dumps(TOKEN_BODY).encode(), {"Content-Type": "application/json"}
    # dripping; then oversize with unsent bytes buffered, left with a reset; then stalled
    proc.control.set_fault("token", slow_body_next=1, drip_bytes=1, drip_interval_ms=50)
    answer = raw_request(proc.url, "POST", TOKEN_PATH, body, headers)
    answer.read_until_quiet(0.2, limit_s=0.3)
    answer.sock.close()
    proc.control.set_fault("token", oversize_next=1, oversize_mib=64)
    answer = raw_request(proc.url, "POST", TOKEN_PATH, body, headers)
    answer.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    answer.sock.close()
    proc.control.set_fault("token", stall_next=1)
    answer = raw_request(proc.url, "POST", TOKEN_PATH, body, headers)
    answer.sock.close()
    assert wait_for(lambda: proc.control.stats()["hangups"] == {"token": 3}, limit_s=3)
    assert proc.control.health()["status"] == "ok"
    proc.stderr.seek(0)
    assert proc.stderr.read() == ""  # no traceback for a client that left


def test_stall_sends_half_the_body_then_nothing_then_closes(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=1)
    sb.control.set_fault("pending", stall_next=1, stall_ms=700)
    body, headers = _pending_raw(roit)
    started = time.monotonic()
    answer = raw_request(sb.url, "POST", f"{ENTRYPOINT}/pending", body, headers)
    length = int(answer.headers["content-length"])
    first = answer.body + answer.read_until_quiet(0.3)
    assert len(first) == length // 2 > 0
    assert _statuses(sb) == {"PROCESSING"}  # after the commit
    rest = answer.wait_closed(limit_s=5)
    assert rest == b""  # nothing more, then the connection closed
    assert time.monotonic() - started >= 0.7
    answer.sock.close()
    assert sb.control.stats()["calls"]["pending"] == {"stalled": 1}


def test_a_client_deadline_ends_a_stall_early(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("pending", stall_next=1)  # the default: 60 s of silence
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        roit.post(f"{ENTRYPOINT}/pending", PENDING_BODY, timeout=httpx.Timeout(5, read=0.3))
    assert time.monotonic() - started < 2
    assert wait_for(lambda: sb.control.stats()["hangups"] == {"pending": 1}, limit_s=2)
    assert roit.pending().status_code == 200  # the sandbox is not stuck


def test_oversize_streams_a_valid_envelope_of_the_stated_size(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    created = sb.control.seed(documents=1)
    sb.control.set_fault("pending", oversize_next=1, oversize_mib=2)
    with roit.http.stream(
        "POST", f"{ENTRYPOINT}/pending", json=PENDING_BODY, headers={"Authorization": roit.token}
    ) as response:
        body = response.read()
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(body) == 2 * MIB
    parsed = json.loads(body)
    assert parsed["status"] == "success" and len(parsed["padding"]) > MIB
    assert [r["requestId"] for r in parsed["data"]] == created
    assert _statuses(sb) == {"PROCESSING"}
    assert sb.control.stats()["calls"]["pending"] == {"oversize": 1}


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_oversize_is_streamed_not_held_in_memory(sb: SandboxProcess, roit: RoitClient) -> None:
    pid = sb.process.pid
    assert roit.pending().status_code == 200  # warm up
    before = _peak_rss_kib(pid)
    sb.control.set_fault("pending", oversize_next=1, oversize_mib=96)
    received = 0
    with roit.http.stream(
        "POST", f"{ENTRYPOINT}/pending", json=PENDING_BODY, headers={"Authorization": roit.token}
    ) as response:
        for chunk in response.iter_raw():
            received += len(chunk)
    assert received == int(response.headers["content-length"]) == 96 * MIB
    assert _peak_rss_kib(pid) - before < 16 * 1024  # far below the 96 MiB sent


def test_body_faults_on_other_endpoints_deliver_the_real_answer(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.set_fault("delivery", oversize_next=1, oversize_mib=1)
    body = {"integrationId": INTEGRATION_ID, "entity": "COST_CENTER", "data": [{"code": "1"}]}
    response = roit.post(DELIVERY_PATH, body)
    assert response.status_code == 200 and len(response.content) == MIB
    assert response.json()["data"]["received"] == 1
    assert len(sb.control.deliveries()) == 1  # the endpoint ran: after the commit


def test_body_faults_with_honest_gzip(sb: SandboxProcess) -> None:
    sb.control.configure(gzip=True)
    sb.control.set_fault("token", slow_body_next=1, drip_bytes=32, drip_interval_ms=5)
    with (
        httpx.Client(base_url=sb.url) as http,
        http.stream("POST", TOKEN_PATH, json=TOKEN_BODY) as response,
    ):
        raw = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw))["data"]["token"]


# -- unit level ---------------------------------------------------------------------------------
def test_oversize_is_a_lazy_stream_of_small_chunks() -> None:
    answer = oversize(Response(200, b'{"status":"success","data":[1]}'), 3.5)
    assert inspect.isgenerator(answer.chunks)  # nothing built up front
    total = 0
    for chunk in answer.chunks:
        assert isinstance(chunk, bytes) and len(chunk) <= OVERSIZE_CHUNK
        total += len(chunk)
    assert total == answer.content_length == int(3.5 * MIB)
    empty = oversize(Response(200, b"{}"), 0.001)
    body = b"".join(c for c in empty.chunks if isinstance(c, bytes))
    assert json.loads(body) == {"padding": "x" * (len(body) - 14)}
    with pytest.raises(ValueError):
        oversize(Response(200, b"[1]"), 1)


def test_drip_and_stall_chunks() -> None:
    answer = drip(Response(200, b"0123456789"), 4, 0.5)
    assert list(answer.chunks) == [Pause(0.5), b"0123", Pause(0.5), b"4567", Pause(0.5), b"89"]
    assert answer.content_length == 10 and not answer.close_after
    stalled = stall(Response(200, b"0123456789"), 2.0)
    assert list(stalled.chunks) == [b"01234", Pause(2.0)]
    assert stalled.content_length == 10 and stalled.close_after
