"""The inspection API with many requests: the summary and the full list stay fast."""

from __future__ import annotations

import time

import pytest
from sandbox_helpers import RoitClient, SandboxProcess

pytestmark = pytest.mark.integration


def test_requests_summary(sb: SandboxProcess, roit: RoitClient) -> None:
    created = sb.control.seed(documents=4, types=["NFE"])
    sb.control.seed(master=1)
    sb.control.configure(page_size=2)
    first = [r["requestId"] for r in roit.pending("DOCUMENT").json()["data"]]
    assert roit.by_id("reprocess", first[0]).status_code == 200
    again = [r["requestId"] for r in roit.drain("DOCUMENT")]
    assert first[0] in again
    summary = sb.control.requests_summary(entity="DOCUMENT")
    assert summary["count"] == 4
    assert summary["byStatus"]["PROCESSING"] == 4 and summary["byStatus"]["PENDING"] == 0
    assert sorted(summary["requestIds"]["PROCESSING"]) == sorted(created)
    assert summary["timesReturned"] == {rid: 2 if rid == first[0] else 1 for rid in created}
    assert summary["returnedMoreThanOnce"] == [first[0]]
    whole = sb.control.requests_summary()
    assert whole["count"] == 6 and whole["byStatus"]["PENDING"] == 2
    assert sb.control.requests_summary(type="CTE")["count"] == 0


def test_inspection_stays_fast_with_thousands_of_requests(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=6000)
    sb.control.configure(page_size=500)
    assert len(roit.drain()) == 6000
    started = time.monotonic()
    summary = sb.control.requests_summary()
    assert time.monotonic() - started < 1.0
    assert summary["byStatus"]["PROCESSING"] == 6000
    started = time.monotonic()
    assert len(sb.control.requests(status="PROCESSING")) == 6000
    assert time.monotonic() - started < 3.0
