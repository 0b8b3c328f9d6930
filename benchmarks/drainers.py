"""The drain figure's parties (:mod:`benchmarks.drain`): the anchors (raw pending, raw publish,
sequential, the hand-written peer), the connector as a warm ``poll_pending``, and a timed
variant's samples."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.anchors.drain_peer import DrainPeer
from benchmarks.measure import CpuMeter, median
from benchmarks.stack import ANCHOR_TOPIC, INTEGRATION_ID, PROJECT, BenchStack, Instance
from benchmarks.workload import ENDPOINTS, JSON_HEADERS

__all__ = ["FOUR_TARGETS", "Anchors", "Drainer", "Variant", "entity_message", "seed_four"]

FOUR_TARGETS = ["DOCUMENT:NFE", "DOCUMENT:NFSE", "DOCUMENT:CTE", "SUPPLIER"]
ATTRIBUTES = ("entity", "type", "requestId", "reference", "integrationId")

Page = list[tuple[bytes, dict[str, str]]]


def entity_message(raw: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """What the connector publishes for one entity: its JSON as sent, six attributes."""
    data = json.dumps(raw, separators=(",", ":")).encode()
    attributes = {key: str(raw[key]) for key in ATTRIBUTES if raw.get(key)}
    attributes["correlationId"] = "bench-correlation-id-0000000000000000"
    return data, attributes


@dataclass
class Anchors:
    """The clients the anchors use (built once, outside every timing)."""

    stack: BenchStack
    pending_body: bytes = b""
    http: httpx.Client = field(init=False)
    gapic: Any = field(init=False)
    peer: DrainPeer = field(init=False)
    topic: str = f"projects/{PROJECT}/topics/{ANCHOR_TOPIC}"

    def __post_init__(self) -> None:
        from google.pubsub_v1 import PublisherClient

        headers = {**JSON_HEADERS, "Authorization": self.stack.token()}
        self.http = httpx.Client(base_url=self.stack.sandbox.url, headers=headers, timeout=60)
        self.pending_body = json.dumps(
            {"entity": "DOCUMENT", "integrationId": INTEGRATION_ID}
        ).encode()
        self.gapic = PublisherClient()
        self.peer = DrainPeer(
            self.stack.sandbox.url, self.stack.token(), INTEGRATION_ID, self.topic
        )

    def close(self) -> None:
        self.http.close()
        self.peer.close()
        self.gapic.transport.close()

    def fetch(self) -> list[Any]:
        """One pending page, parsed as JSON and nothing more."""
        response = self.http.post(ENDPOINTS["pending"], content=self.pending_body)
        response.raise_for_status()
        return list(response.json()["data"])

    def publish(self, page: Page) -> None:
        from google.pubsub_v1 import PubsubMessage

        messages = [PubsubMessage(data=data, attributes=attrs) for data, attrs in page]
        self.gapic.publish(topic=self.topic, messages=messages, timeout=60)

    # -- the anchors -------------------------------------------------------------------------
    def raw_pending(self) -> tuple[int, list[list[Any]]]:
        pages, count = [], 0
        while items := self.fetch():
            pages.append(items)
            count += len(items)
        return count, pages

    def raw_publish(self, pages: list[Page]) -> int:
        for page in pages:
            self.publish(page)
        return sum(len(page) for page in pages)

    def batching_publish(self, pages: list[Page]) -> int:
        from google.cloud import pubsub_v1

        client = pubsub_v1.PublisherClient()
        try:
            futures = [
                client.publish(self.topic, data, **attrs) for page in pages for data, attrs in page
            ]
            for future in futures:
                future.result(timeout=120)
        finally:
            client.stop()
        return len(futures)

    def sequential(self) -> int:
        count = 0
        while items := self.fetch():
            self.publish([entity_message(raw) for raw in items])
            count += len(items)
        return count


@dataclass
class Drainer:
    """The connector: ``poll_pending`` as a warm process; one ``POST`` drains every target."""

    instance: Instance
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=600))
    peaks_kib: list[int] = field(default_factory=list)
    baselines_kib: list[int] = field(default_factory=list)

    def drain(self, targets: list[str] | None = None, *, record: bool = True) -> int:
        body = {"targets": targets} if targets else {}
        rss, _ = self.instance.rss_kib()
        self.instance.reset_peak()
        response = self.client.post(self.instance.url, json=body)
        _, peak = self.instance.rss_kib()
        if record:
            self.baselines_kib.append(rss)
            self.peaks_kib.append(peak)
        if response.status_code != 200:
            raise RuntimeError(f"poll_pending answered {response.status_code}: {response.text}")
        totals = response.json()["totals"]
        if totals["published"] != totals["fetched"] or totals["failed"]:
            raise RuntimeError(f"poll_pending did not publish every document: {totals}")
        return int(totals["published"])


@dataclass
class Variant:
    """One way of draining, timed: documents per second and CPU per process, per round."""

    name: str
    rates: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    cpu: list[dict[str, float]] = field(default_factory=list)

    def time(self, meter: CpuMeter, work: Callable[[], int], expect: int) -> None:
        meter.start()
        started = time.perf_counter()
        done = work()
        wall = time.perf_counter() - started
        used = meter.stop()
        if done != expect:
            raise RuntimeError(f"{self.name}: {done} documents, expected {expect}")
        self.rates.append(done / wall)
        self.walls.append(wall)
        self.cpu.append(used)

    def summary(self) -> dict[str, Any]:
        keys = [key for key in self.cpu[0] if key != "wall_s"] if self.cpu else []
        wall = median(self.walls) if self.walls else 0.0
        return {
            "docs_per_s": round(median(self.rates), 1),
            "per_round": [round(rate, 1) for rate in self.rates],
            "wall_s": round(wall, 3),
            "rounds": len(self.rates),
            "cpu_s": {k: round(median([c[k] for c in self.cpu]), 3) for k in keys},
            "cpu_pct_of_wall": {
                k: round(100 * median([c[k] / c["wall_s"] for c in self.cpu]), 1) for k in keys
            },
        }


def seed_four(stack: BenchStack, documents: int) -> None:
    share = documents // 4
    stack.control.reset()
    for kind in ("NFE", "NFSE", "CTE"):
        stack.control.seed(documents=share, types=[kind])
    stack.control.seed(master=share)  # SUPPLIER (and as many PURCHASE_ORDER, not polled)
