"""The soak's options and its schedule: when each wave is seeded, each fault strikes, and the
pollers are called together — as fractions of the fault phase, so every size runs the same
story."""

from __future__ import annotations

from dataclasses import dataclass, field

from devstack.soak.faults import FaultRates

__all__ = ["EVENTS", "POLL_TARGETS", "TOGETHER", "SoakOptions"]

POLL_TARGETS = "DOCUMENT:NFE,DOCUMENT:NFSE,DOCUMENT:CTE,PURCHASE_ORDER,SUPPLIER"

# (fraction of the fault phase, fault); they run one after the other on their own thread
EVENTS: tuple[tuple[float, str], ...] = (
    (0.08, "lose_page"),
    (0.15, "revoke_tokens"),
    (0.22, "freeze_emulator"),
    (0.30, "kill:update_status"),
    (0.40, "restart_emulator"),
    (0.55, "rotate_credentials"),
    (0.62, "lose_page"),
    (0.70, "revoke_tokens"),
    (0.78, "kill:register_delivery"),
)
TOGETHER = (0.0, 0.5, 0.85)  # every poller called at the same moment


@dataclass
class SoakOptions:
    """Sizes, pace and fault rates. The defaults are `make soak` (a few minutes on 2 cores);
    :meth:`short` is the variant `make test` runs."""

    documents: int = 1900
    master: int = 50  # purchase orders, and as many suppliers: 2,000 pending entities
    received: int = 10  # not ready: must stay untouched
    deliveries: int = 500
    duration_s: float = 120.0  # the fault phase
    waves: int = 5
    pollers: int = 2
    poll_interval_s: float = 3.0
    reprocess_every_s: float = 1.0
    attachments_every_s: float = 0.5
    rates: FaultRates = field(default_factory=FaultRates)
    seed: int = 1
    outage_s: float = 8.0  # the emulator is down this long
    freeze_s: float = 4.0
    rotation_gap_s: float = 3.0  # ROIT has the new secret, Secret Manager not yet
    kill_down_s: float = 1.0
    stall_s: float = 90.0  # the final wait gives up after this long without progress
    rss_limit_mib: int = 32
    keep_logs: bool = False
    scheduled_faults: bool = True  # False: only the sustained rates (EVENTS are skipped)
    sabotage: str | None = None  # break the connector on purpose (devstack/soak/sabotage)

    @classmethod
    def short(cls) -> SoakOptions:
        """The same story, small: about a minute."""
        return cls(
            documents=200,
            master=10,
            received=3,
            deliveries=60,
            duration_s=24.0,
            waves=3,
            poll_interval_s=2.0,
            reprocess_every_s=1.0,
            attachments_every_s=1.0,
            outage_s=3.0,
            freeze_s=2.0,
            rotation_gap_s=2.0,
            stall_s=75.0,  # > 60 s: a killed push function's claims lapse with its invocation
        )

    def describe(self) -> str:
        r = self.rates
        return (
            f"{self.documents} documents + {self.master} POs + {self.master} suppliers "
            f"(+{self.received} not ready) in {self.waves} waves, {self.deliveries} delivery "
            f"messages, {self.pollers} pollers every ~{self.poll_interval_s:g} s, faults for "
            f"{self.duration_s:g} s: ROIT {r.error_status} {r.error_rate:.0%}, 429 "
            f"{r.rate_limit_rate:.0%}, drops {r.drop_rate:.0%}, spikes {r.spike_rate:.0%}, "
            f"slow bodies {r.slow_body_rate:.0%}; seed {self.seed}"
        )
