"""The store's benchmark pieces that need no process: which functions it measures, the records
and answers it accepts as real work, its figures, and the design counts the docs state."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest

from benchmarks import runner, store
from benchmarks.stack import FUNCTIONS
from benchmarks.store.calls import DEPLOYMENTS, DESIGN, check_answer, expected_records
from benchmarks.store.figures import figures
from devstack.processes.firestore_emulator import uses_store

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def _uses_store_for(name: str) -> bool:
    main = REPO / "functions" / name / "main.py"
    tree = ast.parse(main.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.Name) and node.id == "store_for" for node in ast.walk(tree))


def test_every_function_whose_code_builds_the_store_is_measured_as_deployed_with_it() -> None:
    assert set(store.STORE_FUNCTIONS) == {name for name in FUNCTIONS if _uses_store_for(name)}
    for name, deployment in DEPLOYMENTS.items():
        assert uses_store(deployment, name), deployment
    assert not uses_store("reprocess", "reprocess")  # the IAM deployment: no webhook, no store
    assert set(DESIGN) == set(DEPLOYMENTS)


def test_make_bench_runs_the_section_and_orders_its_figures() -> None:
    assert "store" in runner.SECTIONS
    assert set(store.SECTIONS) <= set(runner._ORDER)
    for budget in runner.BUDGETS.values():
        assert budget.store_cold_rounds >= 1 and budget.store_latency_requests >= 1
        assert budget.store_counted_requests >= 1


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("update_status", {"push": 7, "order": 1}),
        ("register_delivery", {"push": 7}),
        ("reprocess", {"webhook": 7}),
        ("poll_pending", {"lease": 0}),
    ],
)
def test_each_fresh_request_leaves_its_own_record(name: str, records: dict[str, int]) -> None:
    assert expected_records(name, 7) == records


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, json={"status": "ok", "duplicate": True}),
        httpx.Response(200, json={"requestId": "x"}, headers={"Webhook-Replayed": "true"}),
        httpx.Response(503, json={"error": {"code": "store_unavailable"}}),
    ],
)
def test_a_stored_answer_or_a_failure_is_not_taken_for_the_work(response: httpx.Response) -> None:
    with pytest.raises(RuntimeError):
        check_answer("update_status", response)


def test_an_answer_that_did_the_work_is_accepted() -> None:
    check_answer("update_status", httpx.Response(200, json={"status": "ok", "reported": "DONE"}))
    check_answer("poll_pending", httpx.Response(200, json={"outcome": "ok"}))


def test_figures_set_each_function_with_the_store_against_itself_without() -> None:
    samples = {
        "wall_s": {"reprocess/store": [0.6, 0.5], "reprocess/none": [0.3, 0.25]},
        "cpu_s": {"reprocess/store": [0.5, 0.5], "reprocess/none": [0.25, 0.25]},
    }
    warm = {
        "reprocess": {
            "requests": 110,
            "latency_ms": {"store": {"p50": 9.0, "p99": 20.0}, "none": {"p50": 3.0, "p99": 8.0}},
            "worker_cpu_ms_per_request": {"store": 6.0, "none": 2.0},
            "records": {"webhook": 110},
        }
    }
    counted = {"reprocess": {"requests": 5, "reads_per_request": 2.0, "writes_per_request": 2.0}}
    found = {(f.section, f.name): f for f in figures(samples, warm, counted)}
    wall = found["store cold start", "reprocess, with vs without the store"]
    assert wall.result == pytest.approx(0.55 / 0.275) and wall.anchor_name.endswith("no store")
    assert "per round 2.00-2.00x over 2" in wall.note
    assert found["store cold start CPU", "reprocess, with vs without the store"].result == 2.0
    p50 = found["store warm overhead", "reprocess p50"]
    assert (p50.connector, p50.anchor, p50.result) == (9.0, 3.0, 6.0)
    assert "110 requests left 110 webhook records" in p50.note
    assert found["store warm overhead", "reprocess worker CPU per request"].result == 4.0
    calls = found["store operations", "reprocess Firestore calls per request"]
    assert (calls.result, calls.goal, calls.met) == (4.0, 4, True)


def test_the_performance_guide_states_the_design_counts_the_benchmark_compares_with() -> None:
    guide = (REPO / "docs" / "performance.md").read_text(encoding="utf-8")
    stated = {
        name: (int(reads), int(writes))
        for name, reads, writes in re.findall(
            r"^\| `(\w+)` \|[^|]*\| (\d+) \| (\d+) \|$", guide, flags=re.MULTILINE
        )
    }
    assert stated == DESIGN
