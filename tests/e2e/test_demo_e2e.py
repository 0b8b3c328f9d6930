"""The demo's whole cycle against the real local stack, with a smaller seed."""

from __future__ import annotations

import pytest

from devstack.demo import DemoRun
from devstack.processes import GCLOUD_INSTALL_HINT
from devstack.report import Progress, reconciled, render
from devstack.stack import LocalStack, StackOptions
from devstack.testing import require_tool

pytestmark = pytest.mark.integration


def test_a_whole_cycle_reconciles_with_the_sandbox_and_dead_letters():
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)
    lines: list[str] = []
    options = StackOptions(seed_documents=30, seed_master=2, seed_received=3)
    with LocalStack(options) as stack:
        run = DemoRun(stack, progress=Progress(lines.append))
        try:
            checks = run.run()
            tokens = run.stats()["tokenExchanges"]
        finally:
            run.close()

    table = render(checks)
    assert reconciled(checks), "\n".join([*lines, table])
    by_label = {c.label: c for c in checks}
    assert by_label["entities fetched"].observed == 34
    assert by_label["invalid message dead-lettered"].observed == 1
    assert by_label["requests PENDING"].observed == 3
    # one token per function instance: six processes, each exchanged exactly once
    assert tokens == 6
