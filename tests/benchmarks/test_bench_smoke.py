"""`make bench` stays runnable: the quick run produces every figure, and each is sane.

Figures are read by people; nothing here asserts on speed (a goal that is not met is fine).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.processes.factories import find_gcloud
from devstack.processes.firestore_emulator import (
    FIRESTORE_INSTALL_HINT,
    firestore_emulator_installed,
)
from devstack.testing import require_tool, tool_missing

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FUNCTIONS = {"poll_pending", "update_status", "register_delivery", "reprocess", "get_attachments"}


def _positive(value: float | None) -> bool:
    return value is not None and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    require_tool("gcloud", FIRESTORE_INSTALL_HINT)
    require_tool("java", FIRESTORE_INSTALL_HINT)
    if not firestore_emulator_installed(find_gcloud()):  # the store's figures
        tool_missing(f"the Firestore emulator is not installed; install {FIRESTORE_INSTALL_HINT}")
    out = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--json",
            str(out / "bench.json"),
            "--markdown",
            str(out / "bench.md"),
            "--results",
            str(out / "results.md"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    document = json.loads((out / "bench.json").read_text())
    document["results_page"] = (out / "results.md").read_text()
    return document, done.stdout, (out / "bench.md").read_text()


def _section(document: dict, section: str) -> list[dict]:
    return [f for f in document["figures"] if f["section"] == section]


@pytest.mark.timeout(420)
def test_the_quick_run_prints_and_writes_every_figure(quick_run) -> None:
    document, stdout, markdown = quick_run
    assert "figure" in stdout and "anchor (same run)" in stdout
    assert markdown.startswith("| figure |")
    sections = {f["section"] for f in document["figures"]}
    assert sections == {
        "cold start",
        "cold start CPU",
        "warm overhead",
        "drain",
        "capacity",
        "memory",
        "tokens/secrets",
        "store cold start",
        "store cold start CPU",
        "store warm overhead",
        "store operations",
    }
    assert document["machine"]["cores"] >= 1
    for figure in document["figures"]:
        if figure["goal"] is not None:
            assert figure["met"] in (True, False), figure


def test_the_results_page_names_the_commit_the_machine_and_holds_the_table(quick_run) -> None:
    from benchmarks.results import MARK

    document, _, markdown = quick_run
    page = document["results_page"]
    assert page.startswith(MARK)
    assert f"Commit `{document['commit']}`" in page and len(document["commit"]) >= 7
    assert f"nproc {document['machine']['nproc']}" in page and "load average" in page
    assert markdown.splitlines()[0] in page  # the table's header


def test_cold_start_of_every_function_against_its_peer(quick_run) -> None:
    document, _, _ = quick_run
    figures = _section(document, "cold start") + _section(document, "cold start CPU")
    peers = [f for f in figures if f["anchor_name"] == "hand-written peer"]
    assert {f["name"].split(",")[0] for f in peers} >= FUNCTIONS
    assert {f["name"].split(", ")[1] for f in peers} >= {"file", "env"}
    for figure in peers:
        assert _positive(figure["connector"]) and _positive(figure["anchor"]), figure
        assert figure["result"] == pytest.approx(figure["connector"] / figure["anchor"])
    assert any("vs credentials from the environment" in f["name"] for f in figures)
    path = document["details"]["cold_start"]["cold_path"]
    for name, breakdown in path.items():
        assert breakdown["statuses"] == [200], name
        assert breakdown["phases_ms"]["create_app_ms"] > 0
        assert breakdown["imports"]["create_app (main.py)"]["modules"] > 0
    clients = document["details"]["cold_start"]["client_first_use_ms"]
    assert set(clients) == {"secretmanager", "pubsub"}
    assert all(_positive(c["first_use_ms"]) for c in clients.values())


def test_warm_overhead_memory_and_tokens_per_instance(quick_run) -> None:
    document, _, _ = quick_run
    for figure in _section(document, "warm overhead"):
        assert _positive(figure["connector"]) and _positive(figure["anchor"]), figure
        assert math.isfinite(figure["result"])
    runs = document["details"]["instances"]
    assert set(runs) == FUNCTIONS
    for name, run in runs.items():
        assert run["rss_kib"]["after_warmup"] > 10_000, name  # a real worker, in KiB
        assert run["instance_survived"], name
        # every instance exchanged a token and read its secret (really measured, not zero)
        assert run["token_exchanges"] >= 1 and run["secret_reads"] >= 1, name


def test_drain_against_its_anchors(quick_run) -> None:
    document, _, _ = quick_run
    drain = document["details"]["drain"]
    for name, variant in {**drain["variants"], **drain["with_100ms_latency"]}.items():
        assert _positive(variant["docs_per_s"]), name
    for figure in _section(document, "drain"):
        assert _positive(figure["connector"]) and _positive(figure["anchor"]), figure
        assert _positive(figure["result"]), figure
    assert _positive(drain["variants"]["peer"]["docs_per_s"])
    names = {f["name"] for f in _section(document, "drain")}
    assert any(name.endswith("vs peer") for name in names)
    slow = drain["with_100ms_latency"]["raw_pending"]["docs_per_s"]
    assert slow < drain["variants"]["raw_pending"]["docs_per_s"]  # the latency really applied


def test_peak_memory_of_a_message_near_10_mb(quick_run) -> None:
    document, _, _ = quick_run
    big = document["details"]["big_message"]
    assert set(big) == {"register_delivery", "update_status"}
    for name, measured in big.items():
        assert measured["data_bytes"] > 9_000_000, name
        assert max(measured["peak_growth_bytes"]) > 0, name


def test_capacity_against_the_ideal(quick_run) -> None:
    document, _, _ = quick_run
    capacity = document["details"]["capacity"]
    assert capacity["push"] and capacity["poller"]
    for case in capacity["push"]:
        assert _positive(case["msgs_per_s"]) and _positive(case["rss_mib"]), case
        # a real latency: no more than the ideal (concurrency / latency), with 10 % for timing
        assert case["msgs_per_s"] <= case["ideal_msgs_per_s"] * 1.1, case
    for case in capacity["poller"]:
        assert _positive(case["docs_per_s"]), case
        assert case["docs_per_s"] <= case["ideal_docs_per_s"] * 1.1, case


def test_the_store_against_no_store_and_its_calls_per_request(quick_run) -> None:
    document, _, _ = quick_run
    store = document["details"]["store"]
    assert (
        set(store["warm"])
        == set(store["operations"])
        == {
            "poll_pending",
            "update_status",
            "register_delivery",
            "reprocess",
        }
    )
    timed = _section(document, "store cold start") + _section(document, "store warm overhead")
    for figure in timed:
        assert _positive(figure["connector"]) and _positive(figure["anchor"]), figure
    for name, run in store["warm"].items():  # every request left its record (none for a lease)
        assert sum(run["records"].values()) >= (run["requests"] if name != "poll_pending" else 0)
    for figure in _section(document, "store operations"):
        assert figure["met"] is True, figure  # no more Firestore calls than designed
