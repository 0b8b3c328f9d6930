"""What a poll run reports: per target where every entity went, and the run's outcome."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["PageResult", "PollSummary", "RunOutcome", "Stop", "TargetSummary"]


class Stop(StrEnum):
    """Why a target stopped (part of the function's JSON)."""

    DRAINED = "drained"  # ROIT had nothing left
    MAX_PAGES = "max_pages"  # the page cap of the run
    TIME_BUDGET = "time_budget"  # ROIT_POLL_TIME_BUDGET_S spent: no new page asked for
    DEADLINE = "deadline"  # the invocation's deadline came first
    ROIT_ERROR = "roit_error"  # ROIT failed before it could have handed out a page
    PAGE_MAY_BE_LOST = "page_may_be_lost"  # ROIT may have handed out a page that never arrived
    CONFIG_ERROR = "config_error"  # token exchange, 401 / 403, redirect: the run stops
    SECRET_STORE = "secret_store_unavailable"  # Secret Manager failed: the run stops
    PAGE_UNREADABLE = "page_unreadable"  # the answer had no list: kept in the dead-letter topic
    PUBLISH_FAILED = "publish_failed"  # a topic failed: the page was handed back, the run stops
    PAGE_FAILED = "page_failed"  # an unexpected error mid-page: its entities are named
    NOTHING_NEW = "nothing_new"  # a page held only entities already taken in this run
    RUN_STOPPED = "run_stopped"  # another target's failure stopped the run
    SKIPPED = "skipped"  # not polled: the run had stopped


class RunOutcome(StrEnum):
    """The run as a whole (the ``poll_run`` log event and the HTTP status)."""

    OK = "ok"
    ROIT_FAILED = "roit_failed"
    PUBLISH_FAILED = "publish_failed"
    CONFIG_ERROR = "config_error"
    SECRET_STORE_FAILED = "secret_store_failed"  # Secret Manager, not ROIT: 503
    DEADLINE = "deadline"  # every entity accounted for, but the invocation ran out of time


_ROIT_STOPS = frozenset({Stop.ROIT_ERROR, Stop.PAGE_MAY_BE_LOST, Stop.PAGE_UNREADABLE})
_STATUS = {
    RunOutcome.OK: 200,
    RunOutcome.DEADLINE: 200,
    RunOutcome.ROIT_FAILED: 502,
    RunOutcome.CONFIG_ERROR: 502,
}


@dataclass
class TargetSummary:
    """What happened for one (entity, type) pair."""

    entity: str
    type: str | None
    fetched: int = 0
    published: int = 0
    handed_back: int = 0
    dead_lettered: int = 0
    failed: int = 0
    duplicates: int = 0
    handed_back_repeats: int = 0  # of ``handed_back``: handed out again in this run, not a failure
    pages: int = 0
    stopped: Stop = Stop.DRAINED
    error: str | None = None  # a failure code (the HTTP answers' vocabulary), never a class name
    handed_back_request_ids: list[str] = field(default_factory=list)
    dead_lettered_request_ids: list[str] = field(default_factory=list)
    failed_request_ids: list[str] = field(default_factory=list)


_TOTALS = ("fetched", "published", "handed_back", "dead_lettered", "failed", "duplicates")


@dataclass
class PageResult:
    """What became of one page (or of a hand-back): the loop adds it to its target's summary.

    ``stop`` says why the target stopped when the page stopped it; ``stop_run``, whether the
    whole run must stop.
    """

    fetched: int = 0
    published: int = 0
    handed_back: int = 0
    dead_lettered: int = 0
    failed: int = 0
    duplicates: int = 0
    handed_back_repeats: int = 0  # of ``handed_back``: handed out again in this run
    stop: Stop | None = None
    stop_run: bool = False
    error: str | None = None
    handed_back_request_ids: list[str] = field(default_factory=list)
    dead_lettered_request_ids: list[str] = field(default_factory=list)
    failed_request_ids: list[str] = field(default_factory=list)


@dataclass
class PollSummary:
    """The run's summary: one entry per target, and whether anything needs attention."""

    correlation_id: str
    targets: list[TargetSummary] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def outcome(self) -> RunOutcome:
        """Configuration first, then anything not on the pending topic, then ROIT failing."""
        stops = {t.stopped for t in self.targets}
        if Stop.CONFIG_ERROR in stops:
            return RunOutcome.CONFIG_ERROR
        if Stop.SECRET_STORE in stops:
            return RunOutcome.SECRET_STORE_FAILED
        if Stop.PAGE_FAILED in stops or any(
            t.handed_back > t.handed_back_repeats or t.dead_lettered or t.failed
            for t in self.targets
        ):
            return RunOutcome.PUBLISH_FAILED
        if stops & _ROIT_STOPS:
            return RunOutcome.ROIT_FAILED
        if Stop.DEADLINE in stops:
            return RunOutcome.DEADLINE
        return RunOutcome.OK

    @property
    def status(self) -> int:
        """The HTTP status: 503 when some entity did not reach the pending topic (named in the
        summary), 502 when ROIT or the configuration failed, else 200. Either way Cloud
        Scheduler records a failed run, and running again is safe."""
        return _STATUS.get(self.outcome, 503)

    def totals(self) -> dict[str, int]:
        """Counts over every target."""
        return _camel({k: sum(getattr(t, k) for t in self.targets) for k in _TOTALS})

    def to_json(self) -> dict[str, Any]:
        """The JSON the function returns."""
        return {
            "correlationId": self.correlation_id,
            "outcome": self.outcome.value,
            "elapsedS": round(self.elapsed_s, 3),
            "totals": self.totals(),
            "targets": [_camel(asdict(t)) for t in self.targets],
        }


def _camel(d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in d.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = value
    return out
