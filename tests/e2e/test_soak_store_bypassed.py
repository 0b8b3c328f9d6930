"""The soak with the idempotency store bypassed on purpose (`--sabotage store-bypassed`) must
fail on the effects-once rows: each is proved able to catch a duplicate."""

from __future__ import annotations

import pytest

from devstack.processes.firestore_emulator import FIRESTORE_INSTALL_HINT
from devstack.report import Progress, render
from devstack.soak.faults import FaultRates
from devstack.soak.main import soak
from devstack.soak.plan import SoakOptions
from devstack.testing import require_tool

pytestmark = pytest.mark.integration


def test_the_soak_fails_when_the_store_is_bypassed() -> None:
    require_tool("gcloud", FIRESTORE_INSTALL_HINT)
    require_tool("java", FIRESTORE_INSTALL_HINT)
    quiet = FaultRates(error_rate=0, rate_limit_rate=0, drop_rate=0, spike_rate=0, slow_body_rate=0)
    options = SoakOptions(
        documents=30,
        master=2,
        received=1,
        deliveries=6,
        duration_s=6,
        waves=1,
        poll_interval_s=1.0,
        rates=quiet,
        scheduled_faults=False,
        stall_s=5,
        sabotage="store-bypassed",
    )
    lines: list[str] = []
    result = soak(options, say=Progress(lines.append))
    failed = {c.id for c in result.checks if not c.ok}
    assert not result.ok
    assert {
        "effects.webhook_replays_accepted",
        "effects.status_applied_twice",
        "effects.older_status_applied",
        "effects.delivery_items_resent",
    } <= failed, "\n".join([*lines, render(result.checks)])
