"""The controls the soak needs: a credentials rotation at run time, a sustained 429 rate, and
the request ids of every pending page whose answer was dropped after it was committed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from sandbox_helpers import CLIENT_ID, CLIENT_SECRET, TOKEN_PATH, RoitClient, SandboxProcess

from sandbox.faults.board import FaultBoard, FaultKind, FaultSpec

pytestmark = pytest.mark.integration


def _token_status(url: str, secret: str) -> int:
    body = {"clientId": CLIENT_ID, "clientSecret": secret}
    return httpx.post(url + TOKEN_PATH, json=body, timeout=10).status_code


def test_rotating_the_client_secret_refuses_the_old_one_and_keeps_issued_tokens(
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    sb = start_sandbox("--seed", "2", "--seed-master", "0", "--seed-received", "0")
    roit = RoitClient(sb.url)  # a token issued under the old secret
    try:
        config = sb.control.configure(client_secret="rotated-secret-1")
        assert config["client_secret"] == "rotated-secret-1"
        assert sb.control.credentials().client_secret == "rotated-secret-1"
        assert _token_status(sb.url, CLIENT_SECRET) == 401
        assert _token_status(sb.url, "rotated-secret-1") == 200
        assert roit.pending().status_code == 200  # issued before: valid until revoked
        sb.control.revoke_tokens()
        assert roit.pending().status_code == 401
        assert sb.control.issue_token()  # the control client follows the rotation
    finally:
        roit.close()


def test_an_empty_client_secret_is_refused(sb: SandboxProcess) -> None:
    response = httpx.put(sb.url + "/_sandbox/config", json={"client_secret": ""}, timeout=10)
    assert response.status_code == 400
    assert sb.control.credentials().client_secret == CLIENT_SECRET


def test_rate_limit_rate_answers_429_with_retry_after_for_a_share_of_calls(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.set_fault("pending", rate_limit_rate=0.5, retry_after=3)
    answers = [roit.pending() for _ in range(200)]
    codes = [a.status_code for a in answers]
    assert set(codes) == {200, 429}
    assert 50 <= codes.count(429) <= 150
    assert {a.headers["retry-after"] for a in answers if a.status_code == 429} == {"3"}
    assert sb.control.stats()["calls"]["pending"]["429"] == codes.count(429)


def test_rate_limit_rate_is_drawn_after_drops_and_before_errors() -> None:
    board = FaultBoard()
    board.set("status", FaultSpec(drop_rate=1.0, rate_limit_rate=1.0, error_rate=1.0))
    assert board.draw("status").kind is FaultKind.DROP
    board.set("status", FaultSpec(rate_limit_rate=1.0, error_rate=1.0))
    assert board.draw("status").kind is FaultKind.RATE_LIMIT


def test_pages_dropped_after_commit_are_named_in_the_summary(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.configure(page_size=3)
    created = sb.control.seed(documents=5, types=["NFE"])
    sb.control.seed(master=2)
    sb.control.set_fault("pending", drop_after_commit_next=1)
    with pytest.raises(httpx.TransportError):
        roit.pending("DOCUMENT", "NFE")
    page = roit.pending("DOCUMENT", "NFE").json()["data"]
    summary = sb.control.requests_summary()
    (dropped,) = summary["droppedAfterCommit"]
    assert len(dropped) == 3 and set(dropped) <= set(created)
    assert not set(dropped) & {record["requestId"] for record in page}
    assert all(summary["timesReturned"][rid] == 1 for rid in dropped)
    assert set(dropped) <= set(summary["requestIds"]["PROCESSING"])
    # filtered like the rest of the summary
    assert sb.control.requests_summary(entity="SUPPLIER")["droppedAfterCommit"] == []
    assert sb.control.requests_summary(type="NFE")["droppedAfterCommit"] == [dropped]
    sb.control.reset()
    assert sb.control.requests_summary()["droppedAfterCommit"] == []


def test_an_empty_page_does_not_take_the_drop_after_commit(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.set_fault("pending", drop_after_commit_next=1)
    assert roit.pending().json()["data"] == []  # nothing committed: nothing to lose
    assert sb.control.faults()["pending"]["drop_after_commit_next"] == 1
    sb.control.seed(documents=1)
    with pytest.raises(httpx.TransportError):
        roit.pending()
    assert len(sb.control.requests_summary()["droppedAfterCommit"]) == 1
