"""Each fault kind, over real HTTP; faults happen before any state change."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from sandbox_helpers import ENTRYPOINT, REPO_ROOT, TOKEN_PATH, RoitClient, SandboxProcess

from sandbox.faults.board import FaultBoard, FaultKind, FaultSpec, parse_fault_option

pytestmark = pytest.mark.integration


def _pending_count(sb: SandboxProcess) -> int:
    return sb.control.stats()["requestsByStatus"]["PENDING"]


def test_fail_next_answers_the_status_then_recovers_without_moving_state(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=3)
    sb.control.set_fault("pending", fail_next=2, error_status=502)
    for _ in range(2):
        response = roit.pending()
        assert response.status_code == 502
        assert response.json()["status"] == "error"
        assert _pending_count(sb) == 3
    response = roit.pending()
    assert response.status_code == 200 and len(response.json()["data"]) == 3
    assert sb.control.stats()["calls"]["pending"] == {"502": 2, "200": 1}
    assert sb.control.faults()["pending"]["fail_next"] == 0


def test_error_rate(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("status", error_rate=1.0, error_status=500)
    record = {"requestId": "x", "reference": "y"}
    assert {roit.status(record, "DONE").status_code for _ in range(5)} == {500}
    sb.control.set_fault("pending", error_rate=0.5)
    codes = [roit.pending().status_code for _ in range(200)]
    assert set(codes) == {200, 503}
    assert 50 <= codes.count(503) <= 150


def test_rate_limit_with_retry_after(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=1)
    sb.control.set_fault("pending", rate_limit_next=1, retry_after=7)
    response = roit.pending()
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert _pending_count(sb) == 1
    assert roit.pending().status_code == 200
    sb.control.set_fault("delivery", rate_limit_next=1)
    limited = roit.post("/ibs-core-delivery/api/v1/delivery", {})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"


def test_latency(sb: SandboxProcess, roit: RoitClient) -> None:
    started = time.perf_counter()
    assert roit.pending().status_code == 200
    baseline = time.perf_counter() - started
    assert baseline < 0.25
    sb.control.set_fault("pending", latency_ms=400)
    started = time.perf_counter()
    assert roit.pending().status_code == 200
    assert time.perf_counter() - started >= 0.4


def test_dropped_connection_changes_nothing(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=2)
    sb.control.set_fault("pending", drop_next=1)
    with pytest.raises(httpx.TransportError):
        roit.pending()
    assert _pending_count(sb) == 2
    assert len(roit.pending().json()["data"]) == 2
    assert sb.control.stats()["calls"]["pending"] == {"dropped": 1, "200": 1}


def test_drop_rate_one_drops_every_call(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("reprocess", drop_rate=1.0)
    for _ in range(3):
        with pytest.raises(httpx.TransportError):
            roit.by_id("reprocess", "any")
    sb.control.clear_faults("reprocess")
    assert roit.by_id("reprocess", "any").status_code == 404


def test_drop_after_commit_loses_the_response_but_not_the_state_change(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=2)
    sb.control.set_fault("pending", drop_after_commit_next=1)
    with pytest.raises(httpx.TransportError):
        roit.pending()
    assert _pending_count(sb) == 0
    assert {s["status"] for s in sb.control.requests()} == {"PROCESSING"}
    assert roit.pending().json()["data"] == []  # the hazard: nobody got those entities


def test_malformed_body(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=1)
    sb.control.set_fault("pending", malformed_next=1)
    response = roit.pending()
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert _pending_count(sb) == 1


def test_token_endpoint_faults(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("token", fail_next=1, error_status=503)
    body = {"clientId": "sandbox-client", "clientSecret": "sandbox-secret"}
    assert roit.http.post(TOKEN_PATH, json=body).status_code == 503
    assert roit.http.post(TOKEN_PATH, json=body).status_code == 200
    assert sb.control.stats()["tokenExchanges"] == 2  # the fixture's token, then this one


def test_clear_faults_and_reset_disarm_everything(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.set_fault("pending", fail_next=5)
    sb.control.set_fault("attachs", error_rate=1.0)
    assert set(sb.control.faults()) == {"pending", "attachs"}
    sb.control.clear_faults()
    assert sb.control.faults() == {}
    assert roit.pending().status_code == 200
    sb.control.set_fault("pending", fail_next=5)
    sb.control.reset()
    assert roit.pending().status_code == 200


def test_faults_from_the_command_line(start_sandbox: Callable[..., SandboxProcess]) -> None:
    proc = start_sandbox(
        "--seed",
        "4",
        "--fault",
        "pending:fail_next=1,error_status=504",
        "--fault",
        "pending:rate_limit_next=1,retry_after=3",
        "--fault",
        "status:latency_ms=10",
    )
    client = RoitClient(proc.url)
    limited = client.pending()
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert client.pending().status_code == 504
    assert len(client.pending().json()["data"]) == 4
    assert proc.control.faults()["status"]["latency_ms"] == 10
    client.close()


def test_bad_fault_option_fails_at_start() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", "--fault", "pending:error_rate=3"],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--fault" in result.stderr and "error_rate" in result.stderr


# -- unit level --------------------------------------------------------------------------------
def test_parse_fault_option() -> None:
    endpoint, spec = parse_fault_option("pending:error_rate=0.2,error_status=503")
    assert endpoint == "pending" and spec.error_rate == 0.2 and spec.error_status == 503
    for bad in ("nope:error_rate=1", "pending", "pending:error_rate", "pending:bogus=1"):
        with pytest.raises(ValueError):
            parse_fault_option(bad)


def test_fault_board_order_and_counters() -> None:
    board = FaultBoard()
    board.set("pending", FaultSpec(drop_next=1, rate_limit_next=1, fail_next=1, malformed_next=1))
    kinds = [board.draw("pending").kind for _ in range(5)]
    assert kinds == [
        FaultKind.DROP,
        FaultKind.RATE_LIMIT,
        FaultKind.ERROR,
        FaultKind.MALFORMED,
        FaultKind.NONE,
    ]
    assert board.draw("status").kind is FaultKind.NONE
    with pytest.raises(ValueError):
        board.set("status", FaultSpec(drop_after_commit_next=1))
    with pytest.raises(ValueError):
        board.set("files", FaultSpec())


def test_json_that_is_not_a_valid_body_is_400_not_500(roit: RoitClient) -> None:
    for content in (b"{", b"null", b"1", b'{"entity": null, "integrationId": null}'):
        response = roit.http.post(
            f"{ENTRYPOINT}/pending",
            content=content,
            headers={"Authorization": roit.token, "Content-Type": "application/json"},
        )
        assert response.status_code == 400
