"""The demo's whole cycle against the real local stack, with a smaller seed."""

from __future__ import annotations

import os
import shlex
import subprocess

import pytest

from devstack.banner import banner
from devstack.demo.run import DemoRun
from devstack.processes.factories import GCLOUD_INSTALL_HINT, REPO_ROOT
from devstack.report import Progress, reconciled, render
from devstack.stack.layout import StackOptions
from devstack.stack.local import LocalStack
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
        banner_results = _run_banner_roitctl_commands(banner(stack, "e2e"))

    table = render(checks)
    assert reconciled(checks), "\n".join([*lines, table])
    by_label = {c.label: c for c in checks}
    assert by_label["entities fetched"].observed == 34
    assert by_label["invalid message dead-lettered"].observed == 1
    assert by_label["requests PENDING"].observed == 3
    assert by_label["dead letters listed"].observed == 1
    assert by_label["registered once replayed"].observed == 1
    assert by_label["dead letters left"].observed == 0
    # one token per function instance: six processes, each exchanged exactly once
    assert tokens == 6
    # every roitctl command the banner shows works against the stack as printed
    shown = [" ".join(command.split()[3:5]) for command, _ in banner_results]
    assert shown == ["doctor --env-file", "dead-letters list", "dead-letters replay"]
    for command, result in banner_results:
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    assert "every check that ran passed" in banner_results[0][1].stdout


def _run_banner_roitctl_commands(text: str) -> list[tuple[str, subprocess.CompletedProcess[str]]]:
    commands = [line.strip() for line in text.splitlines() if " -m roitctl " in line]
    assert commands, text
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROIT_", "PUBSUB_"))}
    return [
        (
            command,
            subprocess.run(
                shlex.split(command),
                cwd=REPO_ROOT,
                env={**env, "COLUMNS": "200"},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            ),
        )
        for command in commands
    ]
