"""The three measurements, each a function with the store against the same function without.

* :func:`cold`: spawn to the first 200 (``benchmarks.coldstart.first_200``: wall and CPU
  time), with and without the store back to back, which goes first alternating by round;
* :func:`warm`: one warm instance with the store and one without, fresh requests sent to each
  in turn over keep-alive connections (which goes first alternating), each answer checked to
  be the work done and not a stored answer; then the records the store holds are counted;
* :func:`operations`: the Firestore calls per request, counted by a pass-through
  (:mod:`benchmarks.store.counter`) in front of the emulator, on an instance of its own.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from benchmarks.coldstart import POLL_DOCUMENTS, first_200
from benchmarks.measure import latency_summary
from benchmarks.stack import PROJECT, BenchStack, Instance
from benchmarks.store.calls import (
    check_answer,
    count_records,
    expected_records,
    fresh_call,
    store_env,
)
from benchmarks.store.counter import READS, WRITES, CountingProxy
from benchmarks.workload import POLL_TARGET, Workload

__all__ = ["cold", "operations", "warm", "warm_emulator"]

WARMUP_FOR_COUNT = 2  # requests before counting: the first one opens the channel
EMULATOR_WARMUP = 100  # records claimed and completed before anything is timed


def _collection(name: str, what: str) -> str:
    return f"bench-{what}-{name}-{uuid.uuid4().hex[:8]}"


def _seed_if_polling(stack: BenchStack, name: str) -> None:
    if name == "poll_pending":  # a cold start's first run drains a few documents
        stack.control.seed(documents=POLL_DOCUMENTS, types=[POLL_TARGET.partition(":")[2]])


def warm_emulator(records: int = EMULATOR_WARMUP) -> float:
    """Claim and complete ``records`` records from this process, as the functions do, so that
    no figure pays for the emulator's own first calls (a real Firestore is warm). Seconds."""
    from shared.idempotency.firestore import FirestoreStore

    started = time.perf_counter()
    store = FirestoreStore(PROJECT, collection=_collection("bench", "warmup"))
    for _ in range(records):
        claim = store.claim(f"warmup/{uuid.uuid4().hex}", until=time.time() + 60)
        store.complete(claim, {"ok": True}, keep_until=time.time() + 60)
    return time.perf_counter() - started


def cold(
    stack: BenchStack, workload: Workload, host: str, functions: tuple[str, ...], rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds to the first 200, per key ``F/store`` and ``F/none``."""
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    collections = {name: _collection(name, "cold") for name in functions}
    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=120) as client:
        for index in range(rounds):
            shift = index % len(functions)
            for name in functions[shift:] + functions[:shift]:
                for with_store in (True, False) if index % 2 == 0 else (False, True):
                    where = host if with_store else None
                    env = store_env(stack, name, host=where, collection=collections[name])
                    _seed_if_polling(stack, name)
                    instance = stack.function(name, env)
                    try:
                        seconds, used = first_200(instance, fresh_call(workload, name), client)
                    finally:
                        instance.stop()
                    key = f"{name}/{'store' if with_store else 'none'}"
                    wall.setdefault(key, []).append(seconds)
                    cpu.setdefault(key, []).append(used)
    return {"wall_s": wall, "cpu_s": cpu}


def _timed(client: httpx.Client, instance: Instance, workload: Workload) -> float:
    call = fresh_call(workload, instance.name)
    started = time.perf_counter()
    response = client.post(instance.url, content=call.body, headers=call.headers)
    elapsed = time.perf_counter() - started
    check_answer(instance.name, response)
    return elapsed * 1000


def warm(
    stack: BenchStack, workload: Workload, host: str, name: str, *, warmup: int, latency: int
) -> dict[str, Any]:
    """Latency p50 / p99 and the worker's CPU per request, with the store and without; the
    records the store holds afterwards.

    Raises:
        RuntimeError: an answer was not 200 or came from the store, or the store holds fewer
            records than the requests sent to it should have left (the figure would not
            measure the store).
    """
    collection = _collection(name, "warm")
    instances = {
        "store": stack.function(name, store_env(stack, name, host=host, collection=collection)),
        "none": stack.function(name, store_env(stack, name, host=None)),
    }
    samples: dict[str, list[float]] = {label: [] for label in instances}
    cpu_ms: dict[str, float] = {}
    try:
        for instance in instances.values():
            instance.start()
        for instance in instances.values():
            instance.wait_ready(60)
        with httpx.Client(timeout=60) as with_store, httpx.Client(timeout=60) as without:
            clients = {"store": with_store, "none": without}
            for _ in range(warmup):
                for label, instance in instances.items():
                    _timed(clients[label], instance, workload)
            cpu_before = {label: instance.cpu_s() for label, instance in instances.items()}
            labels = list(instances)
            for index in range(latency):
                for label in labels if index % 2 == 0 else labels[::-1]:
                    samples[label].append(_timed(clients[label], instances[label], workload))
            for label, instance in instances.items():
                cpu_ms[label] = (instance.cpu_s() - cpu_before[label]) * 1000 / max(1, latency)
    finally:
        for instance in instances.values():
            instance.stop()
    requests = warmup + latency
    records = count_records(PROJECT, collection)
    expected = expected_records(name, requests)
    if any(records.get(kind, 0) != count for kind, count in expected.items()):
        raise RuntimeError(
            f"{name}: the store holds {records} after {requests} requests, expected {expected}"
        )
    return {
        "requests": requests,
        "warmup_requests": warmup,
        "latency_ms": latency_summary(samples),
        "worker_cpu_ms_per_request": {label: round(v, 3) for label, v in cpu_ms.items()},
        "records": records,
    }


def operations(
    stack: BenchStack, workload: Workload, host: str, name: str, requests: int
) -> dict[str, Any]:
    """Firestore calls per request, by method, over ``requests`` fresh requests.

    Raises:
        RuntimeError: an answer was not 200 or came from the store, or no read or no write
            reached the store (the figure would count nothing).
    """
    with CountingProxy(host) as proxy:
        env = store_env(stack, name, host=proxy.host, collection=_collection(name, "count"))
        instance = stack.function(name, env).start().wait_ready(60)
        try:
            with httpx.Client(timeout=60) as client:
                for _ in range(WARMUP_FOR_COUNT):
                    _timed(client, instance, workload)
                proxy.reset()
                for _ in range(requests):
                    _timed(client, instance, workload)
                counts = proxy.counts()
        finally:
            instance.stop()
    reads = sum(n for method, n in counts.items() if method in READS)
    writes = sum(n for method, n in counts.items() if method in WRITES)
    if not reads or not writes:
        raise RuntimeError(f"{name}: {requests} requests made these Firestore calls: {counts}")
    return {
        "requests": requests,
        "calls": counts,
        "reads_per_request": round(reads / requests, 2),
        "writes_per_request": round(writes / requests, 2),
    }
