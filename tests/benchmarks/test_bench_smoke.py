"""The benchmark script stays runnable (figures are read by people, never asserted on speed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_SPEC = importlib.util.spec_from_file_location(
    "bench", Path(__file__).resolve().parents[2] / "benchmarks" / "bench.py"
)
assert _SPEC and _SPEC.loader
bench = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(bench)


def test_roit_call_benchmark_produces_figures(sandbox) -> None:
    figures = bench.bench_roit_calls(sandbox.url, calls=2, rounds=1)
    assert figures["pooled_cached_ms_per_call"] > 0
    assert figures["naive_ms_per_call"] > 0
    # the naive variant really does exchange a token per call; the pooled one exchanges once
    assert sandbox.control.stats()["tokenExchanges"] == 1 + 2
