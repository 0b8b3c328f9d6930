"""The soak's faults: ROIT failing at sustained rates (the sandbox's fault board) and the
scheduled ones — a pending page lost after ROIT committed it, tokens revoked, the credentials
rotated, the Pub/Sub emulator frozen, stopped and restarted, a function killed mid-request.

Each scheduled fault leaves a :class:`FaultRecord` saying when it happened and what it found.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devstack.soak.observe import established_connections
from devstack.stack.local import LocalStack
from sandbox.control import SandboxControl

__all__ = ["FaultRates", "FaultRecord", "SoakFaults", "new_client_secret"]

ROIT_ENDPOINTS = ("token", "pending", "status", "reprocess", "attachs", "delivery")
# The endpoint a function calls most: slowed down for a moment before the function is killed,
# so that requests are surely in flight when it dies.
_BUSY_ENDPOINT = {"update_status": "status", "register_delivery": "delivery"}


def new_client_secret() -> str:
    """A client secret nobody could mistake for anything else in a log line."""
    return "soak-" + secrets.token_urlsafe(24)


@dataclass(frozen=True)
class FaultRates:
    """ROIT's sustained failures, on every endpoint (each call meets at most one)."""

    error_rate: float = 0.20
    error_status: int = 503
    rate_limit_rate: float = 0.05
    retry_after_s: int = 1
    drop_rate: float = 0.02
    spike_rate: float = 0.05
    spike_ms: int = 1000
    slow_body_rate: float = 0.02

    def spec(self, endpoint: str) -> dict[str, Any]:
        """The sandbox fault spec of `endpoint`. A slow pending page is dripped in big pieces
        (it ends in about a second): slow, never lost."""
        drip = {"drip_bytes": 16_384, "drip_interval_ms": 150}
        if endpoint != "pending":
            drip = {"drip_bytes": 128, "drip_interval_ms": 100}
        return {
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "rate_limit_rate": self.rate_limit_rate,
            "retry_after": self.retry_after_s,
            "drop_rate": self.drop_rate,
            "spike_rate": self.spike_rate,
            "spike_ms": self.spike_ms,
            "slow_body_rate": self.slow_body_rate,
            **drip,
        }


@dataclass
class FaultRecord:
    """One scheduled fault: what, when (seconds into the soak), and what it found."""

    kind: str  # stable: the event of `devstack.soak.plan.EVENTS` (`kill:update_status`)
    name: str
    started: float
    ended: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sources:
    """What the soak's own components do around an emulator restart."""

    pause: Callable[[], None]  # no new poll run, the ERP holds its outbox
    resume: Callable[[], None]
    drain: Callable[[], bool]  # paused: wait until the ERP has every pending message
    held: Callable[[], list[str]]  # the ERP's messages still on Pub/Sub (no effect yet)
    restore: Callable[[list[str]], int]  # publish them again; returns how many
    idle: Callable[[float], bool]  # wait until no poll run and no ERP publish is in progress


class SoakFaults:
    """Applies the faults to a running stack and keeps a record of each."""

    def __init__(
        self,
        stack: LocalStack,
        control: SandboxControl,
        rates: FaultRates,
        *,
        clock: Callable[[], float],
        say: Callable[[str], None],
    ) -> None:
        self.stack = stack
        self.control = control
        self.rates = rates
        self.clock = clock
        self.lost_pages_untaken = 0
        self.say = say
        self.records: list[FaultRecord] = []
        self.client_secrets = [stack.options.client_secret]
        self.restarted: dict[str, float] = {}  # process label -> when it was started again

    def _record(self, kind: str, name: str, **detail: Any) -> FaultRecord:
        record = FaultRecord(kind, name, self.clock(), detail=dict(detail))
        self.records.append(record)
        return record

    def _done(self, record: FaultRecord, **detail: Any) -> None:
        record.ended = self.clock()
        record.detail.update(detail)

    # -- sustained -------------------------------------------------------------------------
    def apply_rates(self, **extra: dict[str, Any]) -> None:
        """Arm the sustained rates on every ROIT endpoint (`extra`: endpoint -> more keys)."""
        for endpoint in ROIT_ENDPOINTS:
            self.control.set_fault(endpoint, **self.rates.spec(endpoint), **extra.get(endpoint, {}))

    def clear(self) -> None:
        """Every fault off; a lost page armed but not yet taken (no page with an entity came
        after it) is counted in :attr:`lost_pages_untaken`, not expected to be lost."""
        pending = self.control.faults().get("pending", {})
        self.lost_pages_untaken = int(pending.get("drop_after_commit_next", 0))
        self.control.clear_faults()

    # -- scheduled -------------------------------------------------------------------------
    def lose_page(self) -> None:
        """The next pending page is committed (PROCESSING) and its answer dropped."""
        armed = int(self.control.faults().get("pending", {}).get("drop_after_commit_next", 0))
        spec = {**self.rates.spec("pending"), "drop_after_commit_next": armed + 1}
        self.control.set_fault("pending", **spec)
        self._done(self._record("lose_page", "pending page lost after commit"))
        self.say("fault: the next pending page will be lost after ROIT commits it")

    def lost_pages_taken(self) -> int:
        """Lost pages armed, less those no page came for before the faults ended."""
        armed = sum(record.kind == "lose_page" for record in self.records)
        return armed - self.lost_pages_untaken

    def revoke_tokens(self) -> None:
        self.control.revoke_tokens()
        self._done(self._record("revoke_tokens", "tokens revoked"))
        self.say("fault: every token ROIT issued is revoked")

    def rotate_credentials(self, gap_s: float) -> None:
        """ROIT takes a new client secret (and revokes the tokens); `gap_s` later the new
        secret is in Secret Manager. In between every token exchange is refused."""
        record = self._record("rotate_credentials", "credentials rotated", gapS=gap_s)
        new = new_client_secret()
        self.client_secrets.append(new)
        self.control.configure(client_secret=new)
        self.control.revoke_tokens()
        self.say(f"fault: ROIT rotated the client secret; Secret Manager follows in {gap_s:g} s")
        time.sleep(gap_s)
        version = self.stack.put_credentials(new)
        self._done(record, secretVersion=version.rsplit("/", 1)[-1])

    def freeze_emulator(self, seconds: float) -> None:
        """SIGSTOP the emulator with messages in flight; SIGCONT after `seconds`."""
        record = self._record("freeze_emulator", "Pub/Sub emulator frozen", seconds=seconds)
        self.say(f"fault: the Pub/Sub emulator is frozen for {seconds:g} s")
        emulator = self.stack.processes["pubsub-emulator"]
        emulator.freeze()
        try:
            time.sleep(seconds)
        finally:
            emulator.thaw()
        self._done(record)

    def restart_emulator(self, sources: Sources, outage_s: float) -> None:
        """Stop the emulator and start it again after `outage_s`.

        The emulator keeps nothing across a restart (no topic, subscription or message; its
        data directory holds only its settings), which Pub/Sub itself never does. So that the
        connector is judged on what it does, not on the emulator's amnesia: no poll run is
        started and the ERP holds its outbox; once the ERP has every pending message the
        pollers published, the ERP's messages still on Pub/Sub (statuses ROIT has not applied,
        deliveries with items ROIT lacks, bad messages not dead-lettered) are noted; the
        emulator stops; everything resumes and meets the outage (poll runs fail to publish,
        the ERP's publishes fail). To come back, nothing may publish until every topic and
        subscription exists again: sources pause, the poll runs still waiting end (no topic:
        their pages are handed back to ROIT), the wiring is created, the noted messages are
        published again (as if the emulator had kept them), and everything resumes.
        """
        record = self._record(
            "restart_emulator", "Pub/Sub emulator stopped and restarted", outageS=outage_s
        )
        sources.pause()
        record.detail["pendingDrained"] = sources.drain()
        held = sources.held()
        self.stack.stop_emulator()
        sources.resume()
        self.say(f"fault: the Pub/Sub emulator is down; {len(held)} message(s) were on it")
        time.sleep(outage_s)
        sources.pause()
        self.stack.start_emulator(wire=False)
        record.detail["runsEnded"] = sources.idle(300)
        self.stack.wire()
        record.detail["restored"] = sources.restore(held)
        self.restarted["pubsub-emulator"] = self.clock()
        sources.resume()
        self._done(record)
        self.say("fault: the Pub/Sub emulator is back: topics, subscriptions and messages")

    def kill_function(
        self, label: str, down_s: float, traffic: Callable[[], None] = lambda: None
    ) -> None:
        """SIGKILL a function's process group mid-request; start it again `down_s` later.

        `traffic` makes sure there is something for it to do; ROIT is slowed down on its
        endpoint for the moment, so that requests are surely in flight when it dies."""
        busy = _BUSY_ENDPOINT.get(label)
        traffic()
        if busy:
            self.control.set_fault(busy, **self.rates.spec(busy), latency_ms=1500)
        port = self.stack.processes[label].port
        deadline = time.monotonic() + 10
        while (in_flight := established_connections(port)) < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.stack.processes[label].kill()
        record = self._record(
            f"kill:{label}", f"{label} killed mid-request", connectionsAtKill=in_flight
        )
        self.say(f"fault: {label} killed (SIGKILL) with {in_flight} connection(s) open")
        if busy:
            self.control.set_fault(busy, **self.rates.spec(busy))
        time.sleep(down_s)
        self.stack.start_function(label)
        self.restarted[label] = self.clock()
        self._done(record)
        self.say(f"fault: {label} started again on its port")
