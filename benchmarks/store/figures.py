"""The store's figures, from what :mod:`benchmarks.store.measure` found (pure: no process).

Each is a function with the store against the same function without it, measured in the same
run: cold start (wall and CPU, ratio), warm latency at p50 / p99 and the worker's CPU per
request (the store's cost in ms), and the Firestore calls per request against the design.
"""

from __future__ import annotations

from typing import Any

from benchmarks.measure import median
from benchmarks.report import Figure
from benchmarks.store.calls import DESIGN

__all__ = ["SECTIONS", "figures"]

SECTIONS = ("store cold start", "store cold start CPU", "store warm overhead", "store operations")
ANCHOR = "same function, no store"


def _cold(samples: dict[str, dict[str, list[float]]], functions: list[str]) -> list[Figure]:
    found = []
    for section, data in zip(SECTIONS[:2], (samples["wall_s"], samples["cpu_s"]), strict=True):
        for name in functions:
            mine, base = data[f"{name}/store"], data[f"{name}/none"]
            ratios = [a / b for a, b in zip(mine, base, strict=True)]
            added = (median(mine) - median(base)) * 1000
            found.append(
                Figure(
                    section,
                    f"{name}, with vs without the store",
                    "ms",
                    median(mine) * 1000,
                    median(base) * 1000,
                    ANCHOR,
                    "ratio",
                    median(mine) / median(base),
                    note=f"{added:+.0f} ms; per round {min(ratios):.2f}-{max(ratios):.2f}x "
                    f"over {len(ratios)}",
                )
            )
    return found


def _records(records: dict[str, int]) -> str:
    kinds = " + ".join(f"{count:,} {kind}" for kind, count in sorted(records.items()) if count)
    return f"{kinds} records" if kinds else "no records (each run gave its lease back)"


def _warm(runs: dict[str, dict[str, Any]]) -> list[Figure]:
    found = []
    for name, run in runs.items():
        lat, cpu = run["latency_ms"], run["worker_cpu_ms_per_request"]
        left = f"{run['requests']:,} requests left {_records(run['records'])}"
        for q in ("p50", "p99"):
            mine, base = lat["store"][q], lat["none"][q]
            found.append(
                Figure(
                    SECTIONS[2],
                    f"{name} {q}",
                    "ms",
                    mine,
                    base,
                    ANCHOR,
                    "diff",
                    mine - base,
                    note=f"{mine / base:.2f}x; {left}" if q == "p50" else f"{mine / base:.2f}x",
                )
            )
        found.append(
            Figure(
                SECTIONS[2],
                f"{name} worker CPU per request",
                "ms",
                cpu["store"],
                cpu["none"],
                ANCHOR,
                "diff",
                cpu["store"] - cpu["none"],
                note=f"{cpu['store'] / cpu['none']:.2f}x" if cpu["none"] else "",
            )
        )
    return found


def _operations(counted: dict[str, dict[str, Any]]) -> list[Figure]:
    found = []
    for name, run in counted.items():
        reads, writes = run["reads_per_request"], run["writes_per_request"]
        design_reads, design_writes = DESIGN[name]
        found.append(
            Figure(
                SECTIONS[3],
                f"{name} Firestore calls per request",
                "",
                reads + writes,
                design_reads + design_writes,
                "by design",
                "count",
                reads + writes,
                design_reads + design_writes,
                note=f"{reads:g} reads + {writes:g} writes (design {design_reads} + "
                f"{design_writes}) over {run['requests']:,} requests",
            )
        )
    return found


def figures(
    samples: dict[str, dict[str, list[float]]],
    warm: dict[str, dict[str, Any]],
    operations: dict[str, dict[str, Any]],
) -> list[Figure]:
    """Every store figure, cold start first."""
    functions = sorted({key.split("/")[0] for key in samples["wall_s"]}, key=list(warm).index)
    return _cold(samples, functions) + _warm(warm) + _operations(operations)
