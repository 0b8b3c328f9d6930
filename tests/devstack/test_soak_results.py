"""`make soak` writes its last table itself, with the commit and the machine it ran on."""

from __future__ import annotations

import os
import subprocess

import pytest

from devstack.processes.managed import REPO_ROOT
from devstack.report import Check, render
from devstack.soak.results import machine, write_results

# it runs git (a subprocess): not the unit tier
pytestmark = pytest.mark.integration


def test_the_table_is_written_with_its_commit_and_machine(tmp_path) -> None:
    checks = [
        Check("1. documents", "entities seeded ready", 5, 5, "sandbox", id="documents.ready"),
        Check("1. documents", "still PROCESSING", 0, 1, "sandbox", id="documents.stuck"),
    ]
    path = write_results(
        checks, ok=False, described="5 documents", elapsed_s=61.4, path=tmp_path / "soak.md"
    )
    text = path.read_text()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    assert f"- commit: `{head}" in text
    assert f"- machine: {os.cpu_count()} CPUs, " in text
    assert "GiB memory" in machine()
    assert "- result: **NOT reconciled**" in text
    assert "- workload: 5 documents" in text
    assert render(checks) in text  # the very table the soak printed
    assert "Do not edit by hand" in text
