"""Figure 3, drain: documents per second over N pending documents at the sandbox's page size,
the connector (``poll_pending`` as a warm functions-framework process, ``POST {}``) against
this machine's ceiling measured in the same run:

* **raw pending rate**: a pooled httpx client paging the sandbox's ``pending`` endpoint as fast
  as it answers, parsing nothing beyond the JSON;
* **raw publish rate**: the Pub/Sub client (``google.pubsub_v1.PublisherClient.publish``, the
  GAPIC publish method the connector uses: one request per page, waiting for its answer)
  publishing the same payloads (each entity's JSON, with the connector's six attributes) to
  the emulator; the batching ``google.cloud.pubsub_v1.PublisherClient`` (futures, default
  batch settings) is measured too, for information;
* **sequential ceiling**: fetch a page, then publish it, no connector logic;
* **the hand-written peer** (:mod:`benchmarks.anchors.drain_peer`): fetch a page, publish its
  entities with the batching publisher's futures, wait, repeat, what a user would write.

The connector's rate over each anchor's is also taken per round (rounds are interleaved), and
its spread reported.

Then with 100 ms of ROIT latency on every ``pending`` call (the sandbox's ``latency_ms``
fault), the connector against the raw pending rate under the same latency; and 4 targets
(DOCUMENT:NFE, DOCUMENT:NFSE, DOCUMENT:CTE, SUPPLIER, N/4 each) against one target of N (wall
time ratio), without latency as the goal says and with it for information. Variants are
interleaved in every round; medians. The CPU each process used is recorded per variant, so
a bottleneck (the sandbox, the emulator) shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.drainers import FOUR_TARGETS, Anchors, Drainer, Variant, entity_message, seed_four
from benchmarks.measure import CpuMeter
from benchmarks.report import Figure
from benchmarks.stack import BenchStack

__all__ = ["run"]

DRAIN_GOAL = 0.8
PEER_GOAL = 1.2
LATENCY_GOAL = 0.95
TARGETS_GOAL = 1.3
LATENCY_MS = 100


@dataclass(frozen=True)
class Step:
    """One variant: how to set the sandbox up (untimed), the timed work, what it must move."""

    name: str
    prepare: Callable[[], None]
    work: Callable[[], int]
    expect: int


def _interleave(
    steps: list[Step],
    rounds: int,
    run_step: Callable[[Step], None],
    once: frozenset[str] = frozenset(),
) -> None:
    """Every step once per round, the order rotated each round (``once``: the first round only)."""
    for index in range(rounds):
        shift = index % len(steps)
        for step in steps[shift:] + steps[:shift]:
            if index == 0 or step.name not in once:
                run_step(step)


def _steps(stack: BenchStack, anchors: Anchors, drainer: Drainer, documents: int) -> list[Step]:
    """The connector's variants for ``documents`` documents, and the raw pending anchor."""
    control = stack.control
    quarter = documents // 4

    def reset() -> None:
        control.reset(documents=documents)

    def one_of_four() -> None:
        control.reset()
        control.seed(documents=quarter, types=["NFE"])

    return [
        Step("raw_pending", reset, lambda: anchors.raw_pending()[0], documents),
        Step("peer", reset, anchors.peer.drain, documents),
        Step("connector", reset, drainer.drain, documents),
        Step(
            "connector_4_targets",
            lambda: seed_four(stack, documents),
            lambda: drainer.drain(FOUR_TARGETS),
            4 * quarter,
        ),
        Step("connector_1_of_4", one_of_four, lambda: drainer.drain(FOUR_TARGETS[:1]), quarter),
    ]


def run(
    stack: BenchStack,
    *,
    documents: int,
    rounds: int,
    latency_documents: int,
    latency_rounds: int,
) -> tuple[list[Figure], dict[str, Any]]:
    control = stack.control
    anchors = Anchors(stack)
    drainer = Drainer(stack.function("poll_pending").start().wait_ready(60))
    plain: dict[str, Variant] = {}
    slow: dict[str, Variant] = {}
    try:
        meter = CpuMeter({**stack.pids, "poll_pending": drainer.instance.worker})
        drainer.drain(record=False)  # warm: the client, the token and the publisher are built
        control.reset(documents=documents)
        _, pages = anchors.raw_pending()  # the payloads the publish anchors send
        messages = [[entity_message(raw) for raw in page] for page in pages]
        anchors.raw_publish(messages)  # the emulator's JIT warms up
        count = sum(len(page) for page in messages)

        def timed(into: dict[str, Variant], slow_down: bool) -> Callable[[Step], None]:
            def run_step(step: Step) -> None:
                step.prepare()
                if slow_down:  # after prepare: a reset clears faults
                    control.set_fault("pending", latency_ms=LATENCY_MS)
                into.setdefault(step.name, Variant(step.name)).time(meter, step.work, step.expect)

            return run_step

        def nothing() -> None:
            return None

        def reset() -> None:
            control.reset(documents=documents)

        plain_steps = [
            *_steps(stack, anchors, drainer, documents),
            Step("raw_publish", nothing, lambda: anchors.raw_publish(messages), count),
            Step("batching_publish", nothing, lambda: anchors.batching_publish(messages), count),
            Step("sequential", reset, anchors.sequential, documents),
        ]
        _interleave(plain_steps, rounds, timed(plain, slow_down=False))
        slow_steps = _steps(stack, anchors, drainer, latency_documents)
        # Sleep-bound, so steady: the 4-target variants once (they only inform).
        once = frozenset({"connector_4_targets", "connector_1_of_4"})
        _interleave(slow_steps, latency_rounds, timed(slow, slow_down=True), once)
        control.clear_faults()
    finally:
        anchors.close()
        drainer.client.close()
        drainer.instance.stop()
    plain_summary = {name: v.summary() for name, v in plain.items()}
    slow_summary = {name: v.summary() for name, v in slow.items()}
    growth = [p - b for p, b in zip(drainer.peaks_kib, drainer.baselines_kib, strict=True)]
    details = {
        "documents": documents,
        "latency_documents": latency_documents,
        "page_size": control.credentials().page_size,
        "payload_bytes_per_doc": round(
            sum(len(data) for page in messages for data, _ in page) / documents, 1
        ),
        "variants": plain_summary,
        f"with_{LATENCY_MS}ms_latency": slow_summary,
        "poll_pending_rss_kib": {
            "before_drain_max": max(drainer.baselines_kib),
            "peak_max": max(drainer.peaks_kib),
            "peak_growth_max": max(growth),
        },
        "publish_anchor": "google.pubsub_v1.PublisherClient.publish (GAPIC), one request per "
        "page, sequential; batching_publish: google.cloud.pubsub_v1.PublisherClient futures",
    }
    figures = _figures(plain_summary, slow_summary, documents, latency_documents)
    figures.append(
        Figure(
            "memory",
            f"poll_pending peak RSS growth over a {documents:,}-doc drain",
            "MiB",
            max(drainer.peaks_kib) / 1024,
            max(drainer.baselines_kib) / 1024,
            "before the drain",
            "info",
            max(growth) / 1024,
        )
    )
    return figures, details


def _rate(
    name: str, connector: dict[str, Any], anchor: dict[str, Any], label: str, **goal: Any
) -> Figure:
    """The connector's median rate over the anchor's; the note gives the per-round ratios'
    spread (rounds are interleaved, so round i of each ran side by side)."""
    value, base = connector["docs_per_s"], anchor["docs_per_s"]
    ratios = [a / b for a, b in zip(connector["per_round"], anchor["per_round"], strict=False)]
    note = f"per round {min(ratios):.2f}-{max(ratios):.2f}x over {len(ratios)}" if ratios else ""
    return Figure(
        "drain", name, "docs/s", value, base, label, "ratio", value / base, note=note, **goal
    )


def _figures(
    plain: dict[str, Any], slow: dict[str, Any], documents: int, latency_documents: int
) -> list[Figure]:
    connector = plain["connector"]
    n = f"{documents:,} docs"
    m = f"{latency_documents:,} docs, {LATENCY_MS} ms/page"
    peer = "hand-written peer (page, futures, wait)"
    anchors = [
        ("raw_publish", "raw publish (GAPIC, 1 request/page)"),
        ("batching_publish", "batching publisher"),
        ("sequential", "fetch a page, then publish it"),
    ]
    figures = [
        _rate(
            f"{n}, vs raw pending",
            connector,
            plain["raw_pending"],
            "raw pending",
            goal=DRAIN_GOAL,
            goal_op=">=",
        ),
        _rate(f"{n}, vs peer", connector, plain["peer"], peer, goal=PEER_GOAL, goal_op=">="),
        *(_rate(f"{n}, vs {label}", connector, plain[key], label) for key, label in anchors),
        _rate(
            f"{m}, vs raw pending",
            slow["connector"],
            slow["raw_pending"],
            f"raw pending, {LATENCY_MS} ms/page",
            goal=LATENCY_GOAL,
            goal_op=">=",
        ),
        _rate(f"{m}, vs peer", slow["connector"], slow["peer"], f"{peer}, {LATENCY_MS} ms/page"),
    ]
    for count, variants, goal, latency in (
        (documents, plain, TARGETS_GOAL, ""),
        (latency_documents, slow, None, f", {LATENCY_MS} ms/page"),
    ):
        four, quarter = variants["connector_4_targets"]["wall_s"], f"{count // 4:,}"
        for key, one_name, one_count, target_goal in (
            ("connector", "1 target", f"{count:,}", goal),
            ("connector_1_of_4", "1 of them", quarter, None),
        ):
            one = variants[key]["wall_s"]
            name = f"4 targets x {quarter} vs {one_name} x {one_count}{latency}, wall"
            label = f"{one_name} x {one_count}"
            figures.append(
                Figure("drain", name, "s", four, one, label, "ratio", four / one, target_goal)
            )
    per_doc = 1_000_000 / documents  # CPU seconds -> ms per 1,000 documents
    cpu = plain["connector"]["cpu_s"]["poll_pending"] * per_doc
    base = plain["sequential"]["cpu_s"]["bench"] * per_doc
    figures.append(
        Figure(
            "drain",
            "CPU per 1,000 docs, connector worker",
            "ms",
            cpu,
            base,
            "sequential ceiling's client",
            "ratio",
            cpu / base if base else None,
        )
    )
    return figures


def text(details: dict[str, Any]) -> str:
    """Every drain variant with the CPU each process used, as printed after the table."""
    lines = [
        "Drain variants (medians): docs/s, wall s, CPU as % of wall per process "
        "(one core = 100 %; bench = this process: the anchors' client)",
    ]
    slow = details[f"with_{LATENCY_MS}ms_latency"]
    for prefix, variants in (("", details["variants"]), (f"{LATENCY_MS} ms/page: ", slow)):
        for name, v in variants.items():
            cpu = ", ".join(f"{k} {p:.0f}" for k, p in v["cpu_pct_of_wall"].items())
            lines.append(
                f"  {prefix + name:<36} {v['docs_per_s']:>9,.0f} {v['wall_s']:>7.2f}  {cpu}"
            )
    return "\n".join(lines)
