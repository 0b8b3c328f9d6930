"""Figure 4b, peak memory of one instance at full concurrency (issue 22 §2).

Instances sized as deployed (``THREADS`` = ``ROIT_INSTANCE_CONCURRENCY`` = 10,
``ROIT_INSTANCE_MEMORY_MIB`` = 512) get their largest inputs and answers 10 at once:
``register_delivery`` 10 deliveries near Pub/Sub's 10 MB limit, ``get_attachments`` 10 calls
each answered by ROIT with the largest answer the instance's caps allow (``shared.core.budget``).
The worker's high-water mark (VmHWM, absolute, not growth) is held against the 512 MiB.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from benchmarks.memory import big_delivery
from benchmarks.report import Figure
from benchmarks.stack import BenchStack
from benchmarks.workload import JSON_HEADERS, Workload, push_envelope
from shared.core.budget import instance_caps
from shared.core.settings import RoitSettings

__all__ = ["run"]

MEMORY_MIB = 512
CONCURRENCY = 10
SIZING = {"THREADS": str(CONCURRENCY), "ROIT_INSTANCE_MEMORY_MIB": str(MEMORY_MIB),
          "ROIT_INSTANCE_CONCURRENCY": str(CONCURRENCY)}  # fmt: skip


def _peak_at_once(stack: BenchStack, name: str, body: bytes, warm: bytes) -> dict[str, Any]:
    """Peak RSS (MiB) of a ``name`` instance given ``body`` :data:`CONCURRENCY` times at once."""
    instance = stack.function(name, stack.function_env(name, **SIZING)).start().wait_ready(60)
    try:
        with httpx.Client(timeout=300) as client:
            client.post(instance.url, content=warm, headers=JSON_HEADERS)
            instance.reset_peak()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                statuses = list(
                    pool.map(
                        lambda _: (
                            client.post(
                                instance.url, content=body, headers=JSON_HEADERS
                            ).status_code
                        ),
                        range(CONCURRENCY),
                    )
                )
            _, peak_kib = instance.rss_kib()
    finally:
        instance.stop()
    return {"statuses": statuses, "peak_rss_mib": round(peak_kib / 1024, 1)}


def _figure(name: str, what: str, peak_mib: float) -> Figure:
    return Figure(
        "memory",
        f"{name} peak RSS, {CONCURRENCY} at once: {what}",
        "MiB",
        peak_mib,
        float(MEMORY_MIB),
        "instance memory",
        "ratio",
        round(peak_mib / MEMORY_MIB, 2),
        1.0,
    )


def run(stack: BenchStack, *, data_bytes: int) -> tuple[list[Figure], dict[str, Any]]:
    envelope = push_envelope(big_delivery(data_bytes))
    warm = push_envelope(b'{"entity":"COST_CENTER","data":[{"code":"w"}]}')
    delivery = _peak_at_once(stack, "register_delivery", envelope, warm)
    workload = Workload.prepare(stack.control, stack.token())
    sized = {"base_url": "http://x", "integration_id": "i", "client_id": "c",
             "client_secret": "s", "instance_memory_mib": MEMORY_MIB,
             "instance_concurrency": CONCURRENCY}  # fmt: skip
    caps = instance_caps(RoitSettings.model_validate(sized))
    answer_mib = round(caps.response_bytes / 2**20 - 0.05, 2)  # just under the cap: all read
    attachments = workload.call("get_attachments").body
    stack.control.set_fault("attachs", oversize_rate=1.0, oversize_mib=answer_mib)
    try:
        attached = _peak_at_once(stack, "get_attachments", attachments, attachments)
    finally:
        stack.control.clear_faults("attachs")
    details = {"concurrency": CONCURRENCY, "memory_mib": MEMORY_MIB,
               "register_delivery": {"push_body_bytes": len(envelope), **delivery},
               "get_attachments": {"answer_mib": answer_mib, **attached}}  # fmt: skip
    figures = [
        _figure("register_delivery", f"messages of {len(envelope) / 1e6:.1f} MB",
                delivery["peak_rss_mib"]),
        _figure("get_attachments", f"ROIT answers of {answer_mib:.1f} MiB",
                attached["peak_rss_mib"]),
    ]  # fmt: skip
    return figures, details
