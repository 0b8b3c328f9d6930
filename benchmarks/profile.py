"""Where the time and the memory go: profiles of the connector, for finding what to optimize.

    python -m benchmarks.profile [drain] [first] [warm] [push] [--documents N] [--out DIR]

Each runs a function in this process through functions-framework's own app (``create_app``
and Flask's test client: the function's code path without gunicorn), against the same stack
as ``make bench`` (sandbox, Pub/Sub emulator, Secret Manager stand-in):

* ``drain``: cProfile of ``poll_pending`` draining N documents (default 10,000), plus the wall
  time of the drain without the profiler;
* ``first``: cProfile of each function's first request in a fresh interpreter (secret read,
  token exchange, the ROIT call, the publisher), after ``main.py`` was imported;
* ``warm``: cProfile of 2,000 warm requests of ``get_attachments`` and ``update_status``;
* ``push``: tracemalloc of one ~9.5 MB push message for ``register_delivery`` and
  ``update_status``: the peak, and which lines held the memory alive at that peak.

Reports go to ``DIR`` (default ``build/profile``) as text, with the raw ``.prof`` files
(``python -m pstats``, snakeviz …). Not part of ``make bench``: the profilers slow the code.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.stack import FUNCTIONS, BenchStack
from benchmarks.workload import JSON_HEADERS, POLL_TARGET, Workload, push_envelope

__all__ = ["main"]

REPO = Path(__file__).resolve().parents[1]
TOP = 40


def _app(stack: BenchStack, name: str, **extra: str) -> Any:
    """The function's app in this process, its settings in the environment."""
    from functions_framework import create_app

    for key in [k for k in os.environ if k.startswith("ROIT_")]:
        del os.environ[key]
    os.environ.update(stack.function_env(name, **extra))
    return create_app(name, str(REPO / "functions" / name / "main.py")).test_client()


def _stats(profile: cProfile.Profile, title: str, path: Path) -> str:
    profile.dump_stats(path.with_suffix(".prof"))
    out = io.StringIO()
    out.write(f"# {title}\n\n## by cumulative time\n")
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(TOP)
    out.write("\n## by own time\n")
    stats.sort_stats("tottime").print_stats(TOP)
    text = out.getvalue()
    path.write_text(text)
    return text


def profile_drain(stack: BenchStack, out: Path, documents: int) -> dict[str, Any]:
    client = _app(stack, "poll_pending")
    client.post("/", json={})  # warm: token, publisher
    stack.control.reset(documents=documents)
    started = time.perf_counter()
    plain = client.post("/", json={}).get_json()
    wall = time.perf_counter() - started
    stack.control.reset(documents=documents)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    answer = client.post("/", json={}).get_json()
    profile.disable()
    profiled_wall = time.perf_counter() - started
    title = f"poll_pending draining {documents:,} documents (in-process, cProfile)"
    _stats(profile, title, out / "drain.txt")
    parts = _parts(pstats.Stats(profile), _DRAIN_PARTS)
    return {
        "documents": documents,
        "published": answer["totals"]["published"],
        "wall_s_without_profiler": round(wall, 3),
        "docs_per_s_without_profiler": round(plain["totals"]["published"] / wall, 1),
        "wall_s_profiled": round(profiled_wall, 3),
        "cumulative_s_profiled": parts,
    }


# Where a drain's time goes: (file, function) -> what it is.
_DRAIN_PARTS = {
    ("shared/poll/loop.py", "_handle_page"): "per page, besides the fetch (Poller._handle_page)",
    ("shared/roit/client.py", "pending_body"): "pending calls (RoitClient.pending_body)",
    ("shared/roit/_transport.py", "post"): "  of which the HTTP exchange (Transport.post)",
    ("shared/poll/triage.py", "triage"): "triage of a page",
    ("shared/roit/models.py", "from_raw"): "  of which PendingItem.from_raw (pydantic)",
    ("shared/poll/triage.py", "encode_entity"): "  of which encode_entity (json.dumps)",
    ("shared/poll/triage.py", "pending_attributes"): "  of which pending_attributes",
    ("shared/core/pubsub.py", "message_problem"): "message_problem (triage and publish_batch)",
    ("shared/poll/sink.py", "send"): "publish of a page (Sink.send)",
    ("shared/core/pubsub.py", "publish_batch"): "  Publisher.publish_batch",
    ("proto/message.py", "__init__"): "  of which PubsubMessage construction (proto-plus)",
    ("grpc/_channel.py", "_blocking"): "  of which the gRPC call, waiting on the emulator",
    ("logging/__init__.py", "_log"): "logging calls",
}


def _parts(stats: pstats.Stats, wanted: dict[tuple[str, str], str]) -> dict[str, Any]:
    """Calls, own and cumulative seconds of the ``wanted`` functions (profiled times)."""
    found: dict[str, Any] = {}
    for (filename, _, function), row in stats.stats.items():  # type: ignore[attr-defined]
        path = Path(filename)
        key = (f"{path.parent.name}/{path.name}", function)
        if key in wanted:
            calls, _, own, cumulative, _ = row
            found[wanted[key]] = {
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cumulative, 3),
            }
    order = list(wanted.values())
    return dict(sorted(found.items(), key=lambda kv: order.index(kv[0])))


def profile_first(stack: BenchStack, out: Path) -> dict[str, Any]:
    """First request of each function, in fresh interpreters (:mod:`benchmarks.coldpath`)."""
    workload = Workload.prepare(stack.control, stack.token())
    results = {}
    for name in FUNCTIONS:
        extra = {"ROIT_POLL_TARGETS": POLL_TARGET} if name == "poll_pending" else {}
        if name == "poll_pending":
            stack.control.seed(documents=5, types=[POLL_TARGET.partition(":")[2]])
        call = workload.call(name)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ROIT_", "PUBSUB_"))}
        env.update(stack.function_env(name, **extra))
        env["PYTHONPATH"] = str(REPO)
        request = {"body": base64.b64encode(call.body).decode(), "headers": call.headers}
        raw = out / f"first-{name}.prof"
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.coldpath", name, "--profile", str(raw)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-3000:])
        results[name] = json.loads(done.stdout.strip().splitlines()[-1])
        text = io.StringIO()
        text.write(f"# {name}: first request after main.py was imported (cProfile)\n\n")
        stats = pstats.Stats(str(raw), stream=text)
        stats.strip_dirs().sort_stats("cumulative").print_stats(TOP)
        stats.sort_stats("tottime").print_stats(TOP)
        (out / f"first-{name}.txt").write_text(text.getvalue())
    return results


def profile_warm(stack: BenchStack, out: Path, requests: int = 2000) -> dict[str, Any]:
    workload = Workload.prepare(stack.control, stack.token())
    results = {}
    for name in ("get_attachments", "update_status"):
        client = _app(stack, name)
        call = workload.call(name)
        for _ in range(50):
            client.post("/", data=call.body, headers=call.headers)
        started = time.perf_counter()
        for _ in range(requests):
            client.post("/", data=call.body, headers=call.headers)
        plain = (time.perf_counter() - started) / requests
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(requests):
            client.post("/", data=call.body, headers=call.headers)
        profile.disable()
        _stats(profile, f"{name}: {requests:,} warm requests (cProfile)", out / f"warm-{name}.txt")
        results[name] = {"ms_per_request_without_profiler": round(plain * 1000, 3)}
    return results


class _PeakSampler:
    """Samples tracemalloc from a thread; keeps a snapshot whenever traced memory reaches a new
    high (5 % over the last), so the allocations alive at the peak can be read."""

    def __init__(self) -> None:
        self.best = 0
        self.snapshot: tracemalloc.Snapshot | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            current, _ = tracemalloc.get_traced_memory()
            if current > self.best * 1.05:
                self.snapshot = tracemalloc.take_snapshot()
                self.best = current
            time.sleep(0.002)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def profile_push(stack: BenchStack, out: Path) -> dict[str, Any]:
    from benchmarks.memory import DATA_BYTES, big_delivery, big_status
    from benchmarks.workload import take_processing

    workload = Workload.prepare(stack.control, stack.token())
    request_id, reference = take_processing(stack.control, stack.token())
    messages: dict[str, Callable[[], bytes]] = {
        "register_delivery": lambda: big_delivery(DATA_BYTES),
        "update_status": lambda: big_status(workload, request_id, reference, DATA_BYTES),
    }
    results = {}
    report = io.StringIO()
    for name, make in messages.items():
        client = _app(stack, name)
        small = workload.call(name)
        client.post("/", data=small.body, headers=small.headers)  # warm
        data = make()
        envelope = push_envelope(data)
        tracemalloc.start(25)
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        with _PeakSampler() as sampler:
            response = client.post("/", data=envelope, headers=JSON_HEADERS)
        _, peak = tracemalloc.get_traced_memory()
        snapshot = sampler.snapshot
        tracemalloc.stop()
        results[name] = {
            "status": response.status_code,
            "data_bytes": len(data),
            "push_body_bytes": len(envelope),
            "traced_peak_over_data": round((peak - base) / len(data), 2),
            "sampled_peak_over_data": round((sampler.best - base) / len(data), 2),
        }
        report.write(f"# {name}: one {len(data) / 1e6:.1f} MB message\n")
        report.write(f"{json.dumps(results[name])}\n\n## alive at the sampled peak, by line\n")
        if snapshot is not None:
            for stat in snapshot.statistics("lineno")[:15]:
                report.write(f"{stat.size / 1e6:9.1f} MB  {stat.traceback[0]}\n")
            report.write("\n## the largest, with their call stacks (project frames)\n")
            for stat in snapshot.statistics("traceback")[:6]:
                report.write(f"\n{stat.size / 1e6:.1f} MB\n")
                frames = [f for f in stat.traceback if "site-packages" not in f.filename]
                for frame in frames[-8:] or list(stat.traceback)[-4:]:
                    report.write(f"    {frame.filename}:{frame.lineno}\n")
        report.write("\n")
    (out / "push.txt").write_text(report.getvalue())
    return results


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__)
    parser.add_argument("what", nargs="*", default=["drain", "first", "warm", "push"])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=REPO / "build" / "profile")
    parsed = parser.parse_args(args)
    parsed.out.mkdir(parents=True, exist_ok=True)
    stack = BenchStack.start()
    summary: dict[str, Any] = {}
    try:
        for what in parsed.what:
            print(f"[profile] {what}", file=sys.stderr, flush=True)
            if what == "drain":
                summary[what] = profile_drain(stack, parsed.out, parsed.documents)
            elif what == "first":
                summary[what] = profile_first(stack, parsed.out)
            elif what == "warm":
                summary[what] = profile_warm(stack, parsed.out)
            elif what == "push":
                summary[what] = profile_push(stack, parsed.out)
            else:
                parser.error(f"unknown profile {what!r}")
    finally:
        stack.stop()
    (parsed.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"reports in {parsed.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
