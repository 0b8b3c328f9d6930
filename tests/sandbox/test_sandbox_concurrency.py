"""Concurrent pollers never receive the same entity, and together receive all of them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections import Counter

import pytest
from sandbox_helpers import INTEGRATION_ID, REPO_ROOT, RoitClient, SandboxProcess

pytestmark = pytest.mark.integration

# A poller as a separate OS process: drains DOCUMENT and prints the requestIds as JSON.
_POLLER = """
import json, sys
import httpx
url, token, integration = sys.argv[1:4]
ids = []
with httpx.Client(base_url=url, timeout=30) as http:
    while True:
        r = http.post(
            "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending",
            json={"entity": "DOCUMENT", "integrationId": integration},
            headers={"Authorization": token},
        )
        r.raise_for_status()
        page = r.json()["data"]
        if not page:
            break
        ids.extend(rec["requestId"] for rec in page)
print(json.dumps(ids))
"""


def _assert_each_taken_exactly_once(
    sb: SandboxProcess, created: list[str], received: list[str]
) -> None:
    duplicates = [rid for rid, n in Counter(received).items() if n > 1]
    assert duplicates == []
    assert sorted(received) == sorted(created)
    states = sb.control.requests(entity="DOCUMENT")
    assert {s["status"] for s in states} == {"PROCESSING"}
    assert {s["timesReturned"] for s in states} == {1}


def test_threads_polling_together_share_the_queue(sb: SandboxProcess, roit: RoitClient) -> None:
    created = sb.control.seed(documents=1000)
    sb.control.configure(page_size=7)  # many small pages: many chances to race
    results: list[list[str]] = [[] for _ in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(results))

    def poll(slot: int) -> None:
        client = RoitClient(roit.url, token=roit.token)
        try:
            barrier.wait()
            results[slot] = [r["requestId"] for r in client.drain()]
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            client.close()

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(len(results))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(1 for r in results if r) >= 2, "the pollers did not actually overlap"
    _assert_each_taken_exactly_once(sb, created, [rid for r in results for rid in r])
    calls = sb.control.stats()["calls"]["pending"]
    assert set(calls) == {"200"}


def test_two_client_processes_polling_together(sb: SandboxProcess, roit: RoitClient) -> None:
    created = sb.control.seed(documents=1000)
    sb.control.configure(page_size=10)
    pollers = [
        subprocess.Popen(
            [sys.executable, "-c", _POLLER, roit.url, roit.token, INTEGRATION_ID],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    for poller in pollers:
        out, err = poller.communicate(timeout=120)
        assert poller.returncode == 0, err
        outputs.append(json.loads(out))
    assert all(outputs), "each process should have received some entities"
    _assert_each_taken_exactly_once(sb, created, [rid for ids in outputs for rid in ids])
