"""`make soak`, small: the same story and the same reconciliation as the default run (every
sustained and scheduled fault), and proof that the reconciliation fails when the connector
is broken on purpose."""

from __future__ import annotations

import pytest

from devstack.processes.factories import GCLOUD_INSTALL_HINT
from devstack.processes.firestore_emulator import FIRESTORE_INSTALL_HINT
from devstack.report import Progress, render
from devstack.soak.faults import FaultRates
from devstack.soak.main import soak
from devstack.soak.plan import SoakOptions
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
    rows = {c.id: c for c in result.checks}
    assert rows["pending.pages_lost_injected"].observed == 2
    assert rows["polls.overlap_seen"].observed == 1
    assert rows["polls.overlapping_pairs"].ok
    assert rows["faults.rotation_seen_both_ends"].observed == 1
    assert rows["dead_letters.bad_messages_dead_lettered"].ok
    assert rows["processes.secret_in_logs"].observed == 0
    killed = {
        f"faults.kill:{name}.connections_at_kill" for name in ("update_status", "register_delivery")
    }
    assert {rows[i].observed for i in killed} == {1}
    assert rows["faults.emulator_restart.runs_ended"].observed == 1
    effects = ("webhook_replays_accepted", "status_applied_twice", "older_status_applied")
    assert all(rows[f"effects.{name}"].observed == 0 for name in effects)
    assert rows["effects.delivery_items_resent"].observed == 0


def _sabotaged(kind: str, documents: int, deliveries: int) -> tuple[set[str], str]:
    """A small quiet soak with the connector broken on purpose (`--sabotage KIND`): the ids
    of the rows that failed, and what to print when the wrong ones did."""
    quiet = FaultRates(error_rate=0, rate_limit_rate=0, drop_rate=0, spike_rate=0, slow_body_rate=0)
    options = SoakOptions(
        documents=documents,
        master=2,
        received=1,
        deliveries=deliveries,
        duration_s=6,
        waves=1,
        poll_interval_s=1.0,
        rates=quiet,
        scheduled_faults=False,
        stall_s=5,
        sabotage=kind,
    )
    lines: list[str] = []
    result = soak(options, say=Progress(lines.append))
    assert not result.ok, "\n".join(lines)
    return {c.id for c in result.checks if not c.ok}, "\n".join([*lines, render(result.checks)])


def test_the_soak_fails_when_the_poller_drops_a_published_message() -> None:
    failed, report = _sabotaged("drop-published", documents=40, deliveries=10)
    assert {
        "pending.received_distinct",
        "pending.never_received",
        "documents.stuck_processing",
    } <= failed, report


def test_the_soak_fails_when_the_store_is_bypassed() -> None:
    """Each effects-once row is proved able to catch a duplicate."""
    require_tool("gcloud", FIRESTORE_INSTALL_HINT)
    require_tool("java", FIRESTORE_INSTALL_HINT)
    failed, report = _sabotaged("store-bypassed", documents=30, deliveries=6)
    assert {
        "effects.webhook_replays_accepted",
        "effects.status_applied_twice",
        "effects.older_status_applied",
        "effects.delivery_items_resent",
    } <= failed, report
