"""Side-by-side benchmarks: each figure is a ratio of two variants measured in the same run.

    python benchmarks/bench.py [--quick] [--json build/bench.json]

1. cold start: importing a function module (lazy Pub/Sub + Secret Manager) vs. the same with
   both client libraries imported eagerly — wall time and peak RSS of a fresh interpreter.
2. ROIT calls: the instance's pooled client with its cached token vs. a new token exchange
   and a new connection for every call (what a naive function does), against the sandbox.
3. draining: entities per second published by poll_pending at page size 50 vs. 10, against the
   sandbox and the Pub/Sub emulator (skipped with a message when the emulator is missing).

Machines here are shared and noisy: variants are interleaved and medians compared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devstack.processes import (  # noqa: E402
    ProcessStartError,
    ToolMissingError,
    pubsub_emulator_process,
    sandbox_process,
)

INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
FUNCTION_ENV = {
    "ROIT_BASE_URL": "http://127.0.0.1:9",
    "ROIT_INTEGRATION_ID": INTEGRATION_ID,
    "ROIT_CLIENT_ID": "sandbox-client",
    "ROIT_CLIENT_SECRET": "sandbox-secret",
    "ROIT_LOG_LEVEL": "WARNING",
}


def _interleaved(
    a: Callable[[], float], b: Callable[[], float], rounds: int
) -> tuple[float, float]:
    xs, ys = [], []
    for _ in range(rounds):
        xs.append(a())
        ys.append(b())
    return statistics.median(xs), statistics.median(ys)


def bench_cold_start(rounds: int) -> dict[str, Any]:
    lazy = "import main"
    eager = "import google.cloud.pubsub_v1, google.cloud.secretmanager; import main"
    rss: dict[str, list[int]] = {"lazy": [], "eager": []}

    def run(kind: str, code: str) -> float:
        # ru_maxrss of children is a high-water mark: measure RSS inside the child instead.
        probe = (
            f"{code}\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        )
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", probe],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO / "functions" / "get_attachments",
            env={**os.environ, **FUNCTION_ENV, "PYTHONPATH": str(REPO)},
        )
        rss[kind].append(int(out.stdout.strip().splitlines()[-1]))
        return time.perf_counter() - started

    lazy_s, eager_s = _interleaved(lambda: run("lazy", lazy), lambda: run("eager", eager), rounds)
    lazy_kib, eager_kib = statistics.median(rss["lazy"]), statistics.median(rss["eager"])
    return {
        "lazy_import_s": round(lazy_s, 3),
        "eager_import_s": round(eager_s, 3),
        "eager_over_lazy_time": round(eager_s / lazy_s, 2),
        "lazy_peak_rss_mib": round(lazy_kib / 1024, 1),
        "eager_peak_rss_mib": round(eager_kib / 1024, 1),
        "eager_over_lazy_rss": round(eager_kib / lazy_kib, 2),
    }


def bench_roit_calls(url: str, calls: int, rounds: int) -> dict[str, Any]:
    from shared.client import RoitClient
    from shared.models import PendingEntity
    from shared.settings import RoitSettings

    settings = RoitSettings.model_validate(
        {**{k[5:].lower(): v for k, v in FUNCTION_ENV.items()}, "base_url": url}
    )
    pooled = RoitClient(settings)

    def with_pool() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            pooled.pending(PendingEntity.SUPPLIER)
        return (time.perf_counter() - started) / calls

    def naive() -> float:
        started = time.perf_counter()
        for _ in range(calls):
            client = RoitClient(settings)  # new pool, new token exchange every call
            client.pending(PendingEntity.SUPPLIER)
            client.close()
        return (time.perf_counter() - started) / calls

    pooled_s, naive_s = _interleaved(with_pool, naive, rounds)
    pooled.close()
    return {
        "pooled_cached_ms_per_call": round(pooled_s * 1000, 2),
        "naive_ms_per_call": round(naive_s * 1000, 2),
        "naive_over_pooled": round(naive_s / pooled_s, 2),
    }


def bench_drain(url: str, documents: int, rounds: int) -> dict[str, Any]:
    try:
        emulator = pubsub_emulator_process().start().wait_ready(90)
    except (ToolMissingError, ProcessStartError) as exc:
        return {"skipped": f"Pub/Sub emulator unavailable: {exc}"}
    try:
        os.environ["PUBSUB_EMULATOR_HOST"] = f"{emulator.host}:{emulator.port}"
        from google.cloud import pubsub_v1

        from sandbox.control import SandboxControl
        from shared.client import RoitClient
        from shared.models import PendingEntity
        from shared.poller import Poller
        from shared.pubsub import Publisher
        from shared.settings import RoitSettings

        project = "roit-local"
        pubsub_v1.PublisherClient().create_topic(
            request={"name": f"projects/{project}/topics/bench"}
        )
        control = SandboxControl(url)
        settings = RoitSettings.model_validate(
            {**{k[5:].lower(): v for k, v in FUNCTION_ENV.items()}, "base_url": url}
        )
        client, publisher = RoitClient(settings), Publisher(project)

        def run(page_size: int) -> float:
            control.reset(documents=documents)
            control.configure(page_size=page_size)
            started = time.perf_counter()
            poller = Poller(
                client=client, publisher=publisher, topic="bench",
                dead_letter_topic="bench-dead-letter", correlation_id="bench",
            )  # fmt: skip
            summary = poller.drain(
                [(PendingEntity.DOCUMENT, None)], time_budget_s=600, max_pages=100_000
            )
            assert summary.to_json()["totals"]["published"] == documents
            return documents / (time.perf_counter() - started)

        big, small = _interleaved(lambda: run(50), lambda: run(10), rounds)
        control.configure(page_size=50)
        return {
            "docs_per_s_page_50": round(big),
            "docs_per_s_page_10": round(small),
            "page_50_over_page_10": round(big / small, 2),
        }
    finally:
        emulator.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    rounds = 2 if args.quick else 7
    results: dict[str, Any] = {"cold_start": bench_cold_start(rounds)}
    with sandbox_process(seed=0) as sandbox:
        sandbox.wait_ready(30)
        results["roit_calls"] = bench_roit_calls(sandbox.url, 5 if args.quick else 30, rounds)
        results["drain"] = bench_drain(sandbox.url, 200 if args.quick else 1000, rounds)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
