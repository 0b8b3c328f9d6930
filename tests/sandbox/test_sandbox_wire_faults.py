"""Compression (honest and bomb), redirects, latency spikes, token faults and seeded draws."""

from __future__ import annotations

import gzip
import json
import time
import zlib
from collections.abc import Callable

import httpx
import pytest
from sandbox_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENTRYPOINT,
    PENDING_BODY,
    TOKEN_PATH,
    RoitClient,
    SandboxProcess,
)

from sandbox.config import SandboxConfig
from sandbox.control import SandboxControl, SandboxControlError
from sandbox.faults.board import FaultBoard, FaultKind, FaultSpec
from sandbox.faults.encoding import accepts_gzip, gzip_bomb
from sandbox.server import SandboxServer

pytestmark = pytest.mark.integration

MIB = 1024 * 1024
TOKEN_BODY = {"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}


def _raw_pending(roit: RoitClient, accept_encoding: str) -> httpx.Response:
    """A pending call whose answer is read without any decoding (``response.content`` is raw)."""
    headers = {"Authorization": roit.token, "Accept-Encoding": accept_encoding}
    with roit.http.stream(
        "POST", f"{ENTRYPOINT}/pending", json=PENDING_BODY, headers=headers
    ) as response:
        response._content = b"".join(response.iter_raw())
    return response


def _inflate_bounded(compressed: bytes) -> tuple[int, bytes]:
    """Inflate a gzip body 1 MiB at a time; return its size and its non-whitespace bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size, kept, pending = 0, bytearray(), compressed
    while pending or not inflater.eof:
        out = inflater.decompress(pending, MIB)
        pending = inflater.unconsumed_tail
        if not out and not pending:
            break
        size += len(out)
        kept += out.translate(None, b" \n\r\t")
    assert inflater.eof  # the gzip trailer (CRC, length) checked out
    return size, bytes(kept)


def test_gzip_bomb_is_small_on_the_wire_and_inflates_to_the_stated_size(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=1)
    sb.control.set_fault("pending", gzip_bomb_next=1, bomb_mib=64)
    response = _raw_pending(roit, "gzip")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) == len(response.content) < MIB // 8
    size, compact = _inflate_bounded(response.content)
    assert size == 64 * MIB
    envelope = json.loads(compact)  # valid JSON once its whitespace is gone
    assert envelope["status"] == "success" and envelope["data"] == []
    assert sb.control.stats()["requestsByStatus"]["PENDING"] == 1  # before the commit
    assert sb.control.stats()["calls"]["pending"] == {"gzip_bomb": 1}


def test_gzip_bomb_is_built_once_per_size() -> None:
    first = gzip_bomb(3).body
    assert gzip_bomb(3).body is first
    assert gzip_bomb(2).body is not first
    assert len(gzip.decompress(gzip_bomb(2).body)) == 2 * MIB


def test_honest_gzip_follows_accept_encoding(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=2)
    sb.control.configure(page_size=1)
    plain = _raw_pending(roit, "gzip")
    assert "content-encoding" not in plain.headers  # off by default
    assert sb.control.configure(gzip=True)["gzip"] is True
    compressed = _raw_pending(roit, "br;q=1, gzip;q=0.5")
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.headers["vary"] == "Accept-Encoding"
    assert int(compressed.headers["content-length"]) == len(compressed.content)
    assert len(json.loads(gzip.decompress(compressed.content))["data"]) == 1
    for refused in ("identity", "gzip;q=0", "br"):
        answer = _raw_pending(roit, refused)
        assert "content-encoding" not in answer.headers
        assert json.loads(answer.content)["status"] == "success"
    assert sb.control.stats()["gzipAnswers"] == 1
    # errors, and any client that decodes gzip itself, work the same
    response = RoitClient(roit.url, token="bad").pending()
    assert response.status_code == 401 and response.headers["content-encoding"] == "gzip"
    assert response.json()["statusCode"] == 401


def test_accepts_gzip() -> None:
    for value in ("gzip", "deflate, gzip", "GZIP;q=0.1", "*", "x-gzip", "*;q=1, br"):
        assert accepts_gzip(value), value
    for value in (None, "", "identity", "gzip;q=0", "br", "*;q=0", "gzip;q=0, *", "gzip;q=x"):
        assert not accepts_gzip(value), value


@pytest.mark.parametrize("status", [302, 307])
def test_redirect_points_elsewhere_and_changes_nothing(
    sb: SandboxProcess, roit: RoitClient, status: int
) -> None:
    sb.control.seed(documents=2)
    sb.control.set_fault("pending", redirect_next=1, redirect_status=status)
    response = roit.pending()
    assert response.status_code == status
    assert response.headers["location"] == f"{sb.url}/_sandbox/redirected/pending"
    assert response.json() == {}
    assert sb.control.stats()["requestsByStatus"]["PENDING"] == 2
    assert sb.control.stats()["calls"]["pending"] == {"redirect": 1}
    assert len(roit.pending().json()["data"]) == 2


def test_a_client_that_follows_a_redirect_is_seen(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("status", redirect_next=1, redirect_status=307)
    response = roit.post(f"{ENTRYPOINT}/status", {}, follow_redirects=True)
    assert response.status_code == 200 and response.json()["redirected"] is True
    assert response.request.url == f"{sb.url}/_sandbox/redirected/status"
    assert sb.control.stats()["calls"]["redirected"] == {"200": 1}


def test_bad_redirect_status_is_refused(sb: SandboxProcess) -> None:
    with pytest.raises(SandboxControlError) as info:
        sb.control.set_fault("pending", redirect_next=1, redirect_status=304)
    assert info.value.status_code == 400 and "redirect_status" in info.value.body


def test_latency_spikes(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("pending", spike_rate=1.0, spike_ms=300, latency_ms=50)
    started = time.monotonic()
    assert roit.pending().status_code == 200
    assert time.monotonic() - started >= 0.35
    sb.control.set_fault("pending", spike_rate=0.5, spike_ms=1)
    for _ in range(60):
        assert roit.pending().status_code == 200
    spikes = sb.control.stats()["latencySpikes"]["pending"] - 1
    assert 12 <= spikes <= 48
    assert sb.control.stats()["calls"]["pending"] == {"200": 61}  # spikes add, not replace


def test_token_missing_and_bad_characters(sb: SandboxProcess) -> None:
    sb.control.set_fault("token", token_missing_next=1, token_bad_chars_next=1)
    missing = httpx.post(sb.url + TOKEN_PATH, json=TOKEN_BODY)
    assert missing.status_code == 200 and missing.json()["status"] == "success"
    assert "token" not in missing.json()["data"] and missing.json()["data"]["expiresIn"]
    bad = httpx.post(sb.url + TOKEN_PATH, json=TOKEN_BODY)
    assert bad.status_code == 200
    token = bad.json()["data"]["token"]
    assert "\r\n" in token and not token.isascii()
    with pytest.raises((ValueError, httpx.LocalProtocolError)):
        RoitClient(sb.url, token=token).pending()  # no HTTP client can send it
    assert httpx.post(sb.url + TOKEN_PATH, json=TOKEN_BODY).json()["data"]["token"]
    stats = sb.control.stats()
    assert stats["calls"]["token"] == {"token_missing": 1, "token_bad_chars": 1, "200": 1}
    assert stats["tokenExchanges"] == 1


@pytest.mark.parametrize("shape", ["oauth2-form", "oauth2-basic"])
def test_token_faults_follow_the_token_shape(sb: SandboxProcess, shape: str) -> None:
    sb.control.configure(token_shape=shape)
    sb.control.set_fault("token", token_missing_next=1, token_bad_chars_next=1)
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    missing = httpx.post(sb.url + TOKEN_PATH, data=form).json()
    assert missing == {"token_type": "Bearer", "expires_in": 28_800}
    bad = httpx.post(sb.url + TOKEN_PATH, data=form).json()
    assert "\r\n" in bad["access_token"] and bad["token_type"] == "Bearer"


def test_token_faults_only_on_the_token_endpoint(sb: SandboxProcess) -> None:
    for key in ("token_missing_next", "token_bad_chars_next"):
        with pytest.raises(SandboxControlError) as info:
            sb.control.set_fault("pending", **{key: 1})
        assert info.value.status_code == 400


def _outcomes(seed: int) -> tuple[list[int], dict[str, int]]:
    config = SandboxConfig(
        port=0,
        seed_documents=0,
        seed_master=0,
        seed_received=0,
        random_seed=seed,
        faults={
            "pending": FaultSpec(redirect_rate=0.4, spike_rate=0.3, spike_ms=1, error_rate=0.1)
        },
    )
    with SandboxServer(config) as server, SandboxControl(server.url) as control:
        roit = RoitClient(server.url)
        codes = [roit.pending().status_code for _ in range(40)]
        roit.close()
        return codes, control.stats()["latencySpikes"]


def test_fault_draws_are_reproducible_with_a_random_seed() -> None:
    first, second, other = _outcomes(11), _outcomes(11), _outcomes(12)
    assert first == second
    assert {302, 503, 200} <= set(first[0])
    assert other != first


def test_fault_board_draw_order_of_the_new_kinds() -> None:
    board = FaultBoard()
    board.set(
        "token",
        FaultSpec(
            slow_body_next=1,
            stall_next=1,
            oversize_next=1,
            gzip_bomb_next=1,
            token_bad_chars_next=1,
            token_missing_next=1,
            redirect_next=1,
            malformed_next=1,
        ),
    )
    kinds = [board.draw("token").kind for _ in range(9)]
    assert kinds == [
        FaultKind.MALFORMED,
        FaultKind.REDIRECT,
        FaultKind.TOKEN_MISSING,
        FaultKind.TOKEN_BAD_CHARS,
        FaultKind.GZIP_BOMB,
        FaultKind.OVERSIZE,
        FaultKind.STALL,
        FaultKind.SLOW_BODY,
        FaultKind.NONE,
    ]
    board.set("pending", FaultSpec(slow_body_rate=1.0, drip_bytes=7, drip_interval_ms=30))
    action = board.draw("pending")
    assert (action.kind, action.piece_bytes, action.pause_s) == (FaultKind.SLOW_BODY, 7, 0.03)


def test_new_faults_from_the_command_line(start_sandbox: Callable[..., SandboxProcess]) -> None:
    proc = start_sandbox(
        "--seed",
        "1",
        "--fault",
        "pending:redirect_next=1,redirect_status=308",
        "--fault",
        "pending:oversize_next=1,oversize_mib=0.5",
    )
    client = RoitClient(proc.url)
    assert client.pending().status_code == 308
    oversized = client.pending()
    assert oversized.status_code == 200 and len(oversized.content) == MIB // 2
    assert len(oversized.json()["data"]) == 1
    client.close()
