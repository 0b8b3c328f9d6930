"""Figure 4, peak memory of one push message near Pub/Sub's 10 MB limit.

A warm instance of each push function gets one real message whose data is about 9.5 MB:
``register_delivery`` a delivery of many COST_CENTER items (sent to ROIT in batches of
``ROIT_DELIVERY_MAX_BATCH``), ``update_status`` a status update with a large ``metadata``
object (the sandbox answers with the updated record, so the metadata comes back too). The
worker's high-water mark is reset just before (``/proc/<pid>/clear_refs``); the result is
(VmHWM after - VmRSS before) / the message's data size. The push body itself is the data in
base64 inside the envelope, about 1.33 x the data.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import httpx

from benchmarks.report import Figure
from benchmarks.stack import BenchStack
from benchmarks.workload import JSON_HEADERS, Workload, push_envelope, take_processing

__all__ = ["run"]

GOAL = 3.0
DATA_BYTES = 9_500_000
ITEM_BYTES = 9_500  # one free-text field per item / metadata value
WARMUP = 20
REPEATS = 2


def _filler(size: int) -> str:
    """Text that does not compress to nothing (base64 of random bytes)."""
    return base64.b64encode(os.urandom(size * 3 // 4)).decode()[:size]


def big_delivery(total: int) -> bytes:
    items = [
        {"code": f"CC{i:05d}", "name": f"Cost center {i}", "description": _filler(ITEM_BYTES)}
        for i in range(max(1, total // (ITEM_BYTES + 64)))
    ]
    return json.dumps({"entity": "COST_CENTER", "data": items}).encode()


def big_status(workload: Workload, request_id: str, reference: str, total: int) -> bytes:
    metadata = {f"field{i:05d}": _filler(ITEM_BYTES) for i in range(total // (ITEM_BYTES + 16))}
    body = {**workload.status_update(metadata=metadata), "requestId": request_id}
    body["reference"] = reference
    return json.dumps(body).encode()


def _measure(stack: BenchStack, workload: Workload, name: str, data: bytes) -> dict[str, Any]:
    instance = stack.function(name).start().wait_ready(60)
    small = workload.call(name)
    peaks: list[int] = []
    try:
        with httpx.Client(timeout=120) as client:
            for _ in range(WARMUP):
                client.post(instance.url, content=small.body, headers=small.headers)
            for _ in range(REPEATS):
                envelope = push_envelope(data)
                before, _ = instance.rss_kib()
                instance.reset_peak()
                response = client.post(instance.url, content=envelope, headers=JSON_HEADERS)
                _, peak = instance.rss_kib()
                if response.status_code != 200:
                    raise RuntimeError(f"{name}: {response.status_code} {response.text[:300]}")
                peaks.append((peak - before) * 1024)
            rss_after, _ = instance.rss_kib()
    finally:
        instance.stop()
    return {
        "data_bytes": len(data),
        "push_body_bytes": len(envelope),
        "peak_growth_bytes": peaks,
        "peak_growth_over_data": round(max(peaks) / len(data), 2),
        "rss_after_kib": rss_after,
    }


def run(stack: BenchStack, *, data_bytes: int = DATA_BYTES) -> tuple[list[Figure], dict]:
    workload = Workload.prepare(stack.control, stack.token())
    request_id, reference = take_processing(stack.control, stack.token())
    messages = {
        "register_delivery": big_delivery(data_bytes),
        "update_status": big_status(workload, request_id, reference, data_bytes),
    }
    details = {name: _measure(stack, workload, name, data) for name, data in messages.items()}
    figures = [
        Figure(
            "memory",
            f"{name} peak RSS growth, one {d['data_bytes'] / 1e6:.1f} MB message",
            "MB",
            max(d["peak_growth_bytes"]) / 1e6,
            d["data_bytes"] / 1e6,
            "message data",
            "ratio",
            d["peak_growth_over_data"],
            GOAL,
        )
        for name, d in details.items()
    ]
    return figures, details
