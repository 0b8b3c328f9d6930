"""The store's benchmark section runs against the real processes (a small budget): every
function with the store against itself without, each request really claimed and recorded
(the records are counted on the emulator), and its Firestore calls counted."""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks import store
from benchmarks.report import Figure
from benchmarks.stack import BenchStack
from benchmarks.store.calls import DESIGN
from benchmarks.store.counter import CountingProxy
from devstack.processes.factories import find_gcloud
from devstack.processes.firestore_emulator import (
    FIRESTORE_INSTALL_HINT,
    firestore_emulator_installed,
)
from devstack.testing import require_tool, tool_missing
from shared.idempotency.firestore import FirestoreStore

pytestmark = pytest.mark.integration


def test_the_counter_passes_every_call_through_and_counts_reads_and_writes(
    firestore_emulator,
) -> None:
    with CountingProxy(firestore_emulator.host) as proxy:
        os.environ["FIRESTORE_EMULATOR_HOST"] = proxy.host
        kept = FirestoreStore(firestore_emulator.project, collection=f"c-{uuid.uuid4().hex[:8]}")
        claim = kept.claim("k", until=time.time() + 60)
        assert proxy.counts() == {"BatchGetDocuments": 1, "Commit": 1}
        assert kept.complete(claim, {"answer": 1}, keep_until=time.time() + 60)
        again = kept.claim("k", until=time.time() + 60)  # completed: read, nothing written
        assert again.outcome == {"answer": 1}
        assert proxy.counts() == {"BatchGetDocuments": 3, "Commit": 2}
        proxy.reset()
        assert proxy.counts() == {}


@pytest.fixture(scope="module")
def section() -> Iterator[tuple[list[Figure], dict[str, Any]]]:
    require_tool("gcloud", FIRESTORE_INSTALL_HINT)
    require_tool("java", FIRESTORE_INSTALL_HINT)
    if not firestore_emulator_installed(find_gcloud()):
        tool_missing(f"the Firestore emulator is not installed; install {FIRESTORE_INSTALL_HINT}")
    saved = dict(os.environ)  # the run points this process at its emulators
    stack = BenchStack.start(store=True)
    try:
        yield store.run(stack, rounds=1, warmup=1, latency=3, counted=2)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.timeout(240)
def test_each_function_with_the_store_against_itself_without(section) -> None:
    found, details = section
    names = set(store.STORE_FUNCTIONS)
    for figure in found:
        assert figure.connector is not None and math.isfinite(figure.connector), figure
        assert figure.anchor is not None, figure
        # a difference's anchor may be 0 ms of CPU over a few requests (10 ms clock ticks)
        assert figure.anchor > 0 or (figure.kind == "diff" and figure.anchor == 0), figure
    for cold in ("store cold start", "store cold start CPU"):
        rows = [f for f in found if f.section == cold]
        assert {f.name.split(",")[0] for f in rows} == names
        assert all(f.result == pytest.approx(f.connector / f.anchor) for f in rows)
    warm = [f for f in found if f.section == "store warm overhead"]
    assert len(warm) == 3 * len(names)
    for name, run in details["warm"].items():
        assert run["requests"] == 4 and run["latency_ms"]["store"]["n"] == 3, name
    # each request claimed and recorded: one record per message / webhook-id in the store
    assert details["warm"]["update_status"]["records"] == {"push": 4, "order": 1}
    assert details["warm"]["register_delivery"]["records"] == {"push": 4}
    assert details["warm"]["reprocess"]["records"] == {"webhook": 4}
    assert details["warm"]["poll_pending"]["records"] == {}  # every lease given back


def test_each_request_makes_the_firestore_calls_the_design_says(section) -> None:
    _, details = section
    for name, counted in details["operations"].items():
        reads, writes = DESIGN[name]
        assert counted["reads_per_request"] == reads, (name, counted)
        assert counted["writes_per_request"] == writes, (name, counted)
