"""Figure 6, the idempotency store's cost: each function that uses the store
(``ROIT_IDEMPOTENCY_STORE=firestore`` on the real Firestore emulator) against the same function
without it (``memory``), measured in the same run.

* :mod:`.calls` — which functions use the store, their environment with and without it, a
  request the store has never seen, and the records it holds afterwards;
* :mod:`.counter` — a gRPC pass-through that counts the Firestore calls;
* :mod:`.measure` — cold start, warm latency and CPU, calls per request;
* :mod:`.figures` — the figures (pure).

The emulator runs on loopback: a figure is the client library's CPU and loopback round trips
to the emulator, not a real Firestore's latency (``docs/performance.md`` says how to add it).
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks.report import Figure
from benchmarks.stack import FUNCTIONS, BenchStack
from benchmarks.store import measure
from benchmarks.store.calls import DEPLOYMENTS
from benchmarks.store.figures import SECTIONS, figures
from benchmarks.workload import Workload

__all__ = ["SECTIONS", "STORE_FUNCTIONS", "run"]

STORE_FUNCTIONS = tuple(name for name in FUNCTIONS if name in DEPLOYMENTS)


def run(
    stack: BenchStack,
    *,
    rounds: int,
    warmup: int,
    latency: int,
    counted: int,
    functions: tuple[str, ...] = STORE_FUNCTIONS,
) -> tuple[list[Figure], dict[str, Any]]:
    """Cold start (``rounds``), warm latency (``warmup`` then ``latency`` requests to each
    instance) and Firestore calls (``counted`` requests) of ``functions``.

    Raises:
        RuntimeError: the stack has no Firestore emulator, or a measurement could not be made.
    """
    if stack.firestore is None:
        raise RuntimeError("the store's figures need BenchStack.start(store=True)")
    host = f"{stack.firestore.host}:{stack.firestore.port}"
    # this process reads the records with the client library (the functions get it explicitly)
    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    workload = Workload.prepare(stack.control, stack.token())
    emulator_warmup_s = measure.warm_emulator()
    samples = measure.cold(stack, workload, host, functions, rounds)
    warm = {
        name: measure.warm(stack, workload, host, name, warmup=warmup, latency=latency)
        for name in functions
    }
    counts = {name: measure.operations(stack, workload, host, name, counted) for name in functions}
    details = {
        "cold_samples_s": {k: [round(v, 4) for v in vs] for k, vs in samples["wall_s"].items()},
        "cold_cpu_samples_s": {k: [round(v, 3) for v in vs] for k, vs in samples["cpu_s"].items()},
        "warm": warm,
        "operations": counts,
        "emulator": {"host": host, "warmup_s": round(emulator_warmup_s, 2)},
    }
    return figures(samples, warm, counts), details
