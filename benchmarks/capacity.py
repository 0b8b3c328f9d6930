"""Capacity: what one deployment moves against a ROIT with realistic latency (the sandbox's
``latency_ms`` fault, added to every call of one endpoint).

* **push**: one ``register_delivery`` instance at its deployed concurrency (``THREADS`` =
  ``max_concurrency``, 10 in terraform/functions.tf's defaults), fed push envelopes by as many
  concurrent senders, for about two seconds per latency: messages per second against the ideal
  (concurrency / latency), and the worker's CPU and resident memory at that rate;
* **poller**: ``poll_pending`` (a warm instance) draining a few pages per target at each latency
  and page size, one target and four: documents per second against the ideal (targets x page
  size / latency x pages / (pages + 1): one ``pending`` call per page plus the empty one that
  ends a target's drain, targets drained concurrently).

Short by design (a few seconds per case); the figures inform the sizing in docs/performance.md.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks.drainers import FOUR_TARGETS, Drainer, seed_four
from benchmarks.measure import tree_cpu_s
from benchmarks.report import Figure
from benchmarks.shapes import shape_env
from benchmarks.stack import BenchStack
from benchmarks.workload import Workload

__all__ = ["run"]

PUSH_FUNCTION = "register_delivery"
CONCURRENCY = 10  # local.deployment_defaults.max_concurrency in terraform/functions.tf
DEFAULT_PAGE_SIZE = 50  # the sandbox's, restored afterwards
PAGES_PER_TARGET = 4


def _push(stack: BenchStack, latencies: tuple[int, ...], seconds: float) -> list[dict[str, Any]]:
    env = {**shape_env(stack, PUSH_FUNCTION, "file"), "THREADS": str(CONCURRENCY)}
    instance = stack.function(PUSH_FUNCTION, env).start().wait_ready(60)
    call = Workload("", "", "").call(PUSH_FUNCTION)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    results = []
    try:
        with httpx.Client(timeout=60, limits=limits) as client:

            def send(_: int) -> int:
                return client.post(
                    instance.url, content=call.body, headers=call.headers
                ).status_code

            send(0)  # warm: the client, the token
            for latency in latencies:
                stack.control.set_fault("delivery", latency_ms=latency)
                ideal = CONCURRENCY / (latency / 1000)
                count = max(2 * CONCURRENCY, int(ideal * seconds))
                cpu_before = tree_cpu_s(instance.worker)
                started = time.perf_counter()
                with ThreadPoolExecutor(CONCURRENCY) as pool:
                    statuses = list(pool.map(send, range(count)))
                wall = time.perf_counter() - started
                cpu = tree_cpu_s(instance.worker) - cpu_before
                rss, _ = instance.rss_kib()
                if set(statuses) != {200}:
                    raise RuntimeError(f"{PUSH_FUNCTION} answered {sorted(set(statuses))}")
                results.append(
                    {
                        "latency_ms": latency,
                        "messages": count,
                        "msgs_per_s": round(count / wall, 1),
                        "ideal_msgs_per_s": round(ideal, 1),
                        "cpu_pct": round(100 * cpu / wall, 1),
                        "cpu_ms_per_msg": round(1000 * cpu / count, 2),
                        "rss_mib": round(rss / 1024, 1),
                    }
                )
    finally:
        stack.control.clear_faults()
        instance.stop()
    return results


def _poller(
    stack: BenchStack, latencies: tuple[int, ...], page_sizes: tuple[int, ...]
) -> list[dict[str, Any]]:
    control = stack.control
    drainer = Drainer(stack.function("poll_pending").start().wait_ready(60))
    results = []
    try:
        control.reset(documents=10)
        drainer.drain(record=False)  # warm
        for page_size in page_sizes:
            for targets in (FOUR_TARGETS[:1], FOUR_TARGETS):
                for latency in latencies:
                    documents = page_size * PAGES_PER_TARGET * len(targets)
                    if len(targets) == 1:
                        control.reset()
                        control.seed(documents=documents, types=["NFE"])
                    else:
                        seed_four(stack, documents)
                    control.configure(page_size=page_size)
                    control.set_fault("pending", latency_ms=latency)
                    started = time.perf_counter()
                    moved = drainer.drain(targets, record=False)
                    wall = time.perf_counter() - started
                    if moved != documents:
                        raise RuntimeError(f"poller moved {moved} of {documents}")
                    results.append(
                        {
                            "latency_ms": latency,
                            "page_size": page_size,
                            "targets": len(targets),
                            "documents": documents,
                            "docs_per_s": round(documents / wall, 1),
                            # one pending call per page, and the empty one that ends it
                            "ideal_docs_per_s": round(
                                documents * 1000 / ((PAGES_PER_TARGET + 1) * latency), 1
                            ),
                        }
                    )
    finally:
        control.clear_faults()
        control.configure(page_size=DEFAULT_PAGE_SIZE)
        drainer.client.close()
        drainer.instance.stop()
    return results


def run(
    stack: BenchStack,
    *,
    latencies: tuple[int, ...],
    page_sizes: tuple[int, ...],
    push_seconds: float,
) -> tuple[list[Figure], dict[str, Any]]:
    push = _push(stack, latencies, push_seconds)
    poller = _poller(stack, latencies, page_sizes)
    figures = [
        Figure(
            "capacity",
            f"push, 1 {PUSH_FUNCTION} instance x {CONCURRENCY}, {p['latency_ms']} ms/call",
            "msgs/s",
            p["msgs_per_s"],
            p["ideal_msgs_per_s"],
            "ideal: concurrency / latency",
            "ratio",
            p["msgs_per_s"] / p["ideal_msgs_per_s"],
            note=f"worker CPU {p['cpu_pct']:.0f} % of a core ({p['cpu_ms_per_msg']:.1f} ms/msg), "
            f"RSS {p['rss_mib']:.0f} MiB",
        )
        for p in push
    ]
    figures += [
        Figure(
            "capacity",
            f"poller, {r['targets']} target{'s' if r['targets'] > 1 else ''}, "
            f"page {r['page_size']}, {r['latency_ms']} ms/page",
            "docs/s",
            r["docs_per_s"],
            r["ideal_docs_per_s"],
            "ideal: 1 call per page, targets at once",
            "ratio",
            r["docs_per_s"] / r["ideal_docs_per_s"],
        )
        for r in poller
    ]
    details = {
        "push": push,
        "poller": poller,
        "push_function": PUSH_FUNCTION,
        "concurrency": CONCURRENCY,
        "pages_per_target": PAGES_PER_TARGET,
    }
    return figures, details
