"""Figure 4b, peak memory of one instance at full concurrency (issue 22 §2).

A ``register_delivery`` instance sized as deployed (``THREADS`` = ``ROIT_INSTANCE_CONCURRENCY``
= 10, ``ROIT_INSTANCE_MEMORY_MIB`` = 512) gets 10 deliveries near Pub/Sub's 10 MB limit at
once, the largest input it can be sent; the worker's high-water mark (VmHWM, absolute, not
growth) is held against the instance's 512 MiB.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks.memory import big_delivery
from benchmarks.report import Figure
from benchmarks.stack import BenchStack
from benchmarks.workload import JSON_HEADERS, push_envelope

__all__ = ["run"]

MEMORY_MIB = 512
CONCURRENCY = 10


def run(stack: BenchStack, *, data_bytes: int) -> tuple[list[Figure], dict[str, Any]]:
    sizing = {"THREADS": str(CONCURRENCY), "ROIT_INSTANCE_MEMORY_MIB": str(MEMORY_MIB),
              "ROIT_INSTANCE_CONCURRENCY": str(CONCURRENCY)}  # fmt: skip
    name = "register_delivery"
    instance = stack.function(name, stack.function_env(name, **sizing)).start().wait_ready(60)
    envelope = push_envelope(big_delivery(data_bytes))
    try:
        with httpx.Client(timeout=300) as client:
            warm = push_envelope(b'{"entity":"COST_CENTER","data":[{"code":"w"}]}')
            client.post(instance.url, content=warm, headers=JSON_HEADERS)
            instance.reset_peak()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                statuses = list(
                    pool.map(
                        lambda _: (
                            client.post(
                                instance.url, content=envelope, headers=JSON_HEADERS
                            ).status_code
                        ),
                        range(CONCURRENCY),
                    )
                )
            _, peak_kib = instance.rss_kib()
    finally:
        instance.stop()
    peak_mib = peak_kib / 1024
    details = {"concurrency": CONCURRENCY, "push_body_bytes": len(envelope),
               "statuses": statuses, "peak_rss_mib": round(peak_mib, 1)}  # fmt: skip
    figure = Figure(
        "memory",
        f"{name} peak RSS, {CONCURRENCY} messages of {len(envelope) / 1e6:.1f} MB at once",
        "MiB",
        peak_mib,
        float(MEMORY_MIB),
        "instance memory",
        "ratio",
        round(peak_mib / MEMORY_MIB, 2),
        1.0,
    )
    return [figure], details
