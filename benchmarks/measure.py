"""Small measuring tools: percentiles, and what /proc says about a process (Linux).

RSS and its high-water mark come from ``/proc/<pid>/status`` (``VmRSS`` / ``VmHWM``); the
high-water mark is reset by writing ``5`` to ``/proc/<pid>/clear_refs`` (Linux >= 4.0), so a
peak can be measured around one request. CPU time is user + system, from psutil.
"""

from __future__ import annotations

import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil

__all__ = [
    "CpuMeter",
    "gunicorn_worker",
    "latency_summary",
    "median",
    "percentile",
    "reset_peak",
    "rss_kib",
    "tree_cpu_s",
    "wait_for",
]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100), nearest-rank on the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def latency_summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Per label: p50 and p99 (ms, 3 decimals) and how many samples."""
    return {
        label: {
            "p50": round(percentile(values, 50), 3),
            "p99": round(percentile(values, 99), 3),
            "n": len(values),
        }
        for label, values in samples.items()
    }


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(f"{key} not in /proc/{pid}/status")


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB: resident now, and the peak since start or reset."""
    return _status_kib(pid, "VmRSS"), _status_kib(pid, "VmHWM")


def reset_peak(pid: int) -> bool:
    """Reset ``pid``'s VmHWM to its current RSS; False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def tree_cpu_s(pid: int, *, children: bool = True) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and (unless ``children`` is False)
    every live descendant."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)] if children else [root]
    except psutil.Error:
        return 0.0
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class CpuMeter:
    """CPU seconds used by named process trees over a stretch of wall time; this process is
    counted as ``bench``, without its children.

    ``meter.start()`` … ``meter.stop()`` → ``{name: cpu_s}`` plus ``wall_s``.
    """

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._before: dict[str, float] = {}
        self._started = 0.0

    def _now(self) -> dict[str, float]:
        used = {name: tree_cpu_s(pid) for name, pid in self._pids.items()}
        used["bench"] = tree_cpu_s(os.getpid(), children=False)
        return used

    def start(self) -> None:
        self._before = self._now()
        self._started = time.perf_counter()

    def stop(self) -> dict[str, float]:
        wall = time.perf_counter() - self._started
        now = self._now()
        used = {name: now[name] - self._before[name] for name in now}
        return {**{name: round(cpu, 3) for name, cpu in used.items()}, "wall_s": round(wall, 3)}


def gunicorn_worker(master_pid: int, timeout_s: float = 30.0) -> int:
    """The pid of the (single) gunicorn worker under functions-framework's master."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        children = psutil.Process(master_pid).children()
        if children:
            return children[0].pid
        time.sleep(0.01)
    raise RuntimeError(f"no gunicorn worker under pid {master_pid}")


def wait_for(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)
