"""`make soak`, small: the same story and the same reconciliation as the default run (every
sustained and scheduled fault), and proof that the reconciliation fails when the connector
is broken on purpose."""

from __future__ import annotations

import pytest

from devstack.processes import GCLOUD_INSTALL_HINT
from devstack.report import Progress, render
from devstack.soak import soak
from devstack.soak_faults import FaultRates
from devstack.soak_plan import SoakOptions
from devstack.testing import require_tool

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _tools() -> None:
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)


def test_the_short_soak_reconciles_under_every_fault() -> None:
    lines: list[str] = []
    result = soak(SoakOptions.short(), say=Progress(lines.append))
    table = render(result.checks)
    assert result.ok, "\n".join([*lines, table])
    rows = {c.label: c for c in result.checks}
    assert rows["pending pages lost after commit (injected)"].observed == 2
    assert rows["two pollers were called at the same time (at least once)"].observed == 1
    assert rows["... pairs of runs of different pollers that drained at the same time"].ok
    assert rows["credentials rotated: ROIT and Secret Manager hold the new secret"].observed == 1
    assert rows["bad messages sent on purpose, each dead-lettered with its expected error"].ok
    assert rows["log lines holding a secret or a token"].observed == 0
    assert sum("killed mid-request: connections open" in label for label in rows) == 2
    assert rows["... poll runs waiting on it ended before it was wired again"].observed == 1


def test_the_soak_fails_when_the_poller_drops_a_published_message() -> None:
    quiet = FaultRates(error_rate=0, rate_limit_rate=0, drop_rate=0, spike_rate=0, slow_body_rate=0)
    options = SoakOptions(
        documents=40,
        master=2,
        received=1,
        deliveries=10,
        duration_s=6,
        waves=1,
        poll_interval_s=1.0,
        rates=quiet,
        scheduled_faults=False,
        stall_s=5,
        sabotage="drop-published",
    )
    lines: list[str] = []
    result = soak(options, say=Progress(lines.append))
    failed = {c.label for c in result.checks if not c.ok}
    assert not result.ok
    assert {
        "distinct pending messages the ERP received",
        "seeded entities the ERP never received (outside a dropped page)",
        "still PROCESSING outside a dropped page",
    } <= failed, "\n".join([*lines, render(result.checks)])
