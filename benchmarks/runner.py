"""``python -m benchmarks``: every figure, the connector against an anchor measured in the same
run on the same machine; prints a table and writes JSON (and optionally Markdown).

    python -m benchmarks [--quick] [--only cold,warm,drain,memory,capacity,store]
                         [--json build/bench.json] [--markdown build/bench.md]
                         [--results docs/testing-results/bench.md]

A benchmark reports; it never fails on speed (exit 1 only when a measurement could not be
made: a process did not start, a request was not answered 200, a drain lost documents).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from benchmarks import capacity, coldstart, concurrency, drain, instance, memory, store
from benchmarks.report import Figure, machine, markdown_table, text_table, write_json
from benchmarks.results import commit, results_page
from benchmarks.stack import FUNCTIONS, BenchStack, hello_instance

__all__ = ["BUDGETS", "Budget", "main", "run"]

SECTIONS = ("cold", "warm", "drain", "memory", "capacity", "store")


@dataclass(frozen=True)
class Budget:
    """How much of each figure a run measures."""

    cold_rounds: int
    cold_pairs: tuple[tuple[str, str], ...]
    cold_path_rounds: int
    cold_path_functions: tuple[str, ...]
    warmup: int
    latency_requests: int
    requests: int
    documents: int
    drain_rounds: int
    latency_documents: int
    latency_rounds: int
    big_message_bytes: int
    latencies_ms: tuple[int, ...]
    page_sizes: tuple[int, ...]
    push_seconds: float
    store_cold_rounds: int
    store_warmup: int
    store_latency_requests: int
    store_counted_requests: int


BUDGETS = {
    "full": Budget(
        cold_rounds=3,
        cold_pairs=(
            *((name, "file") for name in FUNCTIONS),
            # the client library is loaded at the same point in every function: two suffice
            ("get_attachments", "client"),
            ("poll_pending", "client"),
            ("get_attachments", "env"),
        ),
        cold_path_rounds=1,
        cold_path_functions=("poll_pending", "get_attachments"),
        warmup=200,
        latency_requests=1500,
        requests=10_000,
        documents=5_000,
        drain_rounds=5,
        latency_documents=2_000,
        latency_rounds=2,
        big_message_bytes=memory.DATA_BYTES,
        latencies_ms=(50, 200, 500),
        page_sizes=(50, 200),
        push_seconds=2.0,
        store_cold_rounds=3,
        store_warmup=100,
        store_latency_requests=1000,
        store_counted_requests=50,
    ),
    "quick": Budget(
        cold_rounds=1,
        cold_pairs=(*((name, "file") for name in FUNCTIONS), ("get_attachments", "env")),
        cold_path_rounds=1,
        cold_path_functions=("poll_pending",),
        warmup=20,
        latency_requests=60,
        requests=200,
        documents=1000,
        drain_rounds=1,
        latency_documents=500,
        latency_rounds=1,
        big_message_bytes=memory.DATA_BYTES,
        latencies_ms=(50,),
        page_sizes=(50,),
        push_seconds=0.5,
        store_cold_rounds=1,
        store_warmup=10,
        store_latency_requests=40,
        store_counted_requests=5,
    ),
}


def _say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(budget: Budget, sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """Start the stack, measure ``sections``, stop everything; the whole result document."""
    started = time.perf_counter()
    document: dict[str, Any] = {
        "machine": machine(),
        "commit": commit(),
        "budget": asdict(budget),
    }
    figures: list[Figure] = []
    details: dict[str, Any] = {}
    _say(
        "starting the sandbox, the Pub/Sub emulator and the Secret Manager stand-in"
        + (" (and the Firestore emulator)" if "store" in sections else "")
    )
    stack = BenchStack.start(store="store" in sections)
    try:
        if "cold" in sections:
            _say(
                f"cold start: {budget.cold_rounds} rounds of {len(budget.cold_pairs)} "
                "(function, shape) pairs, connector and peer, + hello-world"
            )
            found, details["cold_start"] = coldstart.run(
                stack,
                rounds=budget.cold_rounds,
                pairs=list(budget.cold_pairs),
                path_rounds=budget.cold_path_rounds,
                path_functions=budget.cold_path_functions,
            )
            figures += found
        if "warm" in sections:
            _say(f"warm instances: {budget.requests:,} requests per function")
            hello = hello_instance().start().wait_ready(60)
            try:
                found, details["instances"] = instance.run(
                    stack,
                    hello,
                    warmup=budget.warmup,
                    latency=budget.latency_requests,
                    requests=budget.requests,
                )
            finally:
                hello.stop()
            figures += found
        if "drain" in sections:
            _say(f"drain: {budget.documents:,} documents, {budget.drain_rounds} rounds")
            found, details["drain"] = drain.run(
                stack,
                documents=budget.documents,
                rounds=budget.drain_rounds,
                latency_documents=budget.latency_documents,
                latency_rounds=budget.latency_rounds,
            )
            figures += found
        if "memory" in sections:
            _say("memory: one push message near 10 MB per push function")
            found, details["big_message"] = memory.run(stack, data_bytes=budget.big_message_bytes)
            figures += found
            _say("memory: one instance at full concurrency, the largest messages at once")
            found, details["full_concurrency"] = concurrency.run(
                stack, data_bytes=budget.big_message_bytes
            )
            figures += found
        if "capacity" in sections:
            _say(f"capacity: push and poller at {budget.latencies_ms} ms per ROIT call")
            found, details["capacity"] = capacity.run(
                stack,
                latencies=budget.latencies_ms,
                page_sizes=budget.page_sizes,
                push_seconds=budget.push_seconds,
            )
            figures += found
        if "store" in sections:
            _say(
                f"idempotency store: {', '.join(store.STORE_FUNCTIONS)} with and without it; "
                f"{budget.store_latency_requests:,} requests each"
            )
            found, details["store"] = store.run(
                stack,
                rounds=budget.store_cold_rounds,
                warmup=budget.store_warmup,
                latency=budget.store_latency_requests,
                counted=budget.store_counted_requests,
            )
            figures += found
    finally:
        stack.stop()
    document["elapsed_s"] = round(time.perf_counter() - started, 1)
    document["figures"] = [figure.as_dict() for figure in _ordered(figures)]
    document["details"] = details
    return document


_ORDER = (
    "cold start",
    "cold start CPU",
    "warm overhead",
    "drain",
    "capacity",
    "memory",
    "tokens/secrets",
    *store.SECTIONS,
)


def _ordered(figures: list[Figure]) -> list[Figure]:
    return sorted(figures, key=lambda f: _ORDER.index(f.section))


def _figures(document: dict[str, Any]) -> list[Figure]:
    fields = set(Figure.__dataclass_fields__)
    return [Figure(**{k: v for k, v in f.items() if k in fields}) for f in document["figures"]]


def summary(document: dict[str, Any]) -> str:
    """The table and the machine, as printed after a run."""
    m = document["machine"]
    head = (
        f"commit {document.get('commit', 'unknown')}; {m['cpu']}, nproc {m.get('nproc')}, "
        f"{m['memory_gib']} GiB, Python {m['python']}, "
        f"load {m['load_avg_at_start']} at start; {document['elapsed_s']} s"
    )
    parts = [head, text_table(_figures(document))]
    details = document["details"]
    if "cold_start" in details:
        parts.append(coldstart.text(details["cold_start"]))
    if "drain" in details:
        parts.append(drain.text(details["drain"]))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few minutes)")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma list of sections")
    parser.add_argument("--json", type=Path, help="write the whole result here")
    parser.add_argument("--markdown", type=Path, help="write the table here, in Markdown")
    parser.add_argument(
        "--results",
        type=Path,
        help="write the results page here (the commit, the machine, the table): what "
        "`make bench` does to docs/testing-results/bench.md",
    )
    args = parser.parse_args(argv)
    sections = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; known: {', '.join(SECTIONS)}")
    document = run(BUDGETS["quick" if args.quick else "full"], sections)
    print(summary(document))
    if args.json:
        write_json(args.json, document)
        _say(f"wrote {args.json}")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown_table(_figures(document)) + "\n")
        _say(f"wrote {args.markdown}")
    if args.results:
        args.results.parent.mkdir(parents=True, exist_ok=True)
        args.results.write_text(results_page(document, summary(document)))
        _say(f"wrote {args.results}")
    return 0
