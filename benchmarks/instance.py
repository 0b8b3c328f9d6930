"""One warm instance per function under many requests: figures 2 (warm overhead), 4 (RSS
growth) and 5 (token exchanges and secret reads) come from the same run.

For each function: start it (credentials from the Secret Manager stand-in, secret TTL longer
than the run), warm it up, read the worker's RSS; then

* **latency**: sequential requests over keep-alive connections, interleaved with its two
  anchors — the same sandbox call sent directly by a pooled httpx client with a token, and a
  round trip to the functions-framework hello-world — rotating which goes first;
* **bulk**: the rest of the requests (the function only; four client threads, one for
  poll_pending, which refuses a second run while one is going);

then the worker's RSS again, the sandbox's token-exchange count and the stand-in's secret
reads over the instance's whole life. Warm overhead = function - (direct call + hello-world),
at p50 and at p99 of each.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from benchmarks.measure import latency_summary
from benchmarks.report import Figure
from benchmarks.stack import FUNCTIONS, BenchStack, Instance
from benchmarks.workload import HELLO_CALL, POLL_TARGET, Call, Workload

__all__ = ["run"]

OVERHEAD_GOAL_MS = 0.5
GROWTH_GOAL_PCT = 5.0
HTTP_FUNCTIONS = ("reprocess", "get_attachments")
BULK_THREADS = 4  # poll_pending: 1 (an instance refuses a second run while one is going)


def _post(client: httpx.Client, url: str, call: Call) -> float:
    started = time.perf_counter()
    response = client.post(url, content=call.body, headers=call.headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return elapsed * 1000


def _bulk(url: str, call: Call, count: int, threads: int) -> tuple[float, int]:
    """``count`` requests from ``threads`` threads; (seconds, failures)."""
    failures = [0]
    lock = threading.Lock()
    shares = [count // threads + (i < count % threads) for i in range(threads)]

    def worker(share: int) -> None:
        with httpx.Client(timeout=60) as client:
            for _ in range(share):
                response = client.post(url, content=call.body, headers=call.headers)
                if response.status_code != 200:
                    with lock:
                        failures[0] += 1

    pool = [threading.Thread(target=worker, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, failures[0]


def measure(
    stack: BenchStack,
    workload: Workload,
    hello: Instance,
    name: str,
    *,
    warmup: int,
    latency: int,
    requests: int,
) -> dict[str, Any]:
    """One instance of ``name``: latency samples, RSS, tokens and secret reads."""
    extra = {"ROIT_POLL_TARGETS": POLL_TARGET} if name == "poll_pending" else {}
    tokens_before, reads_before = stack.token_exchanges(), stack.secret_reads()
    instance = stack.function(name, stack.function_env(name, **extra)).start().wait_ready(60)
    call, direct = workload.call(name), workload.direct(name, stack.token())
    samples: dict[str, list[float]] = {"function": [], "direct": [], "hello": []}
    try:
        with (
            httpx.Client(timeout=60) as to_function,
            httpx.Client(base_url=stack.sandbox.url, timeout=60) as to_sandbox,
            httpx.Client(timeout=60) as to_hello,
        ):
            legs = [
                ("function", lambda: _post(to_function, instance.url, call)),
                ("direct", lambda: _post(to_sandbox, direct.path, direct)),
                ("hello", lambda: _post(to_hello, hello.url, HELLO_CALL)),
            ]
            for _ in range(warmup):
                for _, leg in legs:
                    leg()
            rss_warm, _ = instance.rss_kib()
            cpu_before = instance.cpu_s()
            for index in range(latency):
                shift = index % len(legs)
                for label, leg in legs[shift:] + legs[:shift]:
                    samples[label].append(leg())
        bulk_count = max(0, requests - latency)
        threads = 1 if name == "poll_pending" else BULK_THREADS
        bulk_s, failures = _bulk(instance.url, call, bulk_count, threads)
        if failures:
            raise RuntimeError(f"{name}: {failures} of {bulk_count} requests were not answered 200")
        cpu_used = instance.cpu_s() - cpu_before
        rss_after, peak = instance.rss_kib()
        alive = instance.running()
    finally:
        instance.stop()
    tokens = stack.token_exchanges() - tokens_before
    reads = stack.secret_reads() - reads_before
    return {
        "requests_after_warmup": latency + bulk_count,
        "warmup_requests": warmup,
        "latency_ms": latency_summary(samples),
        "bulk": {
            "requests": bulk_count,
            "threads": threads,
            "per_s": round(bulk_count / bulk_s, 1) if bulk_s else None,
            "failures": failures,
        },
        "worker_cpu_ms_per_request": round(cpu_used * 1000 / max(1, latency + bulk_count), 3),
        "rss_kib": {"after_warmup": rss_warm, "after_requests": rss_after, "peak": peak},
        "rss_growth_pct": round((rss_after - rss_warm) * 100 / rss_warm, 2),
        "token_exchanges": tokens,
        "secret_reads": reads,
        "instance_survived": alive,
    }


def _overhead(run: dict[str, Any], q: str) -> float:
    lat = run["latency_ms"]
    return float(lat["function"][q] - (lat["direct"][q] + lat["hello"][q]))


def figures_of(runs: dict[str, dict[str, Any]]) -> list[Figure]:
    """Figures 2, 4 (RSS growth) and 5 from the instance runs."""
    figures: list[Figure] = []
    for name, run in runs.items():
        lat = run["latency_ms"]
        for q in ("p50", "p99"):
            goal = OVERHEAD_GOAL_MS if (q == "p50" and name in HTTP_FUNCTIONS) else None
            figures.append(
                Figure(
                    "warm overhead",
                    f"{name} {q}",
                    "ms",
                    lat["function"][q],
                    lat["direct"][q] + lat["hello"][q],
                    "direct call + hello-world",
                    "diff",
                    _overhead(run, q),
                    goal,
                )
            )
    for name, run in runs.items():
        rss = run["rss_kib"]
        figures.append(
            Figure(
                "memory",
                f"{name} RSS growth, {run['requests_after_warmup']:,} requests",
                "MiB",
                rss["after_requests"] / 1024,
                rss["after_warmup"] / 1024,
                "after warm-up",
                "growth",
                run["rss_growth_pct"],
                GROWTH_GOAL_PCT,
            )
        )
    for name, run in runs.items():
        total = run["requests_after_warmup"] + run["warmup_requests"]
        for what, key in (("token exchanges", "token_exchanges"), ("secret reads", "secret_reads")):
            figures.append(
                Figure(
                    "tokens/secrets",
                    f"{name} {what}, {total:,} calls",
                    "",
                    run[key],
                    None,
                    "",
                    "count",
                    run[key],
                    1,
                )
            )
    return figures


def run(
    stack: BenchStack, hello: Instance, *, warmup: int, latency: int, requests: int
) -> tuple[list[Figure], dict[str, Any]]:
    workload = Workload.prepare(stack.control, stack.token())
    runs = {
        name: measure(
            stack, workload, hello, name, warmup=warmup, latency=latency, requests=requests
        )
        for name in FUNCTIONS
    }
    return figures_of(runs), runs
