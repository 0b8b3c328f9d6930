"""docs/local.md's table of the timings the local stack and a deployment run with differently:
each row is rebuilt here from where the value lives (the stack's options, the settings' code
defaults, terraform/variables.tf, terraform/functions.tf and terraform/pubsub.tf) and must be
in the page, so the table cannot drift from either side."""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest
from docs_scripts import load

from devstack.stack.layout import StackOptions
from shared.core.settings import RoitSettings
from shared.poll.settings import PollerSettings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
TF = load("tf_values")
VARIABLES = {k: v.get("default") for k, v in TF._variables(REPO / "terraform/variables.tf").items()}
PUBSUB = TF._locals(REPO / "terraform/pubsub.tf")
LOCAL = StackOptions()


def _functions_tf() -> dict[str, object]:
    with (REPO / "terraform" / "functions.tf").open(encoding="utf-8") as handle:
        locals_: dict[str, object] = hcl2.load(handle)["locals"][0]
    return locals_


def _rows() -> dict[str, list[str]]:
    text = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
    section = text.split("## Local and deployed timings", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split(" | ") for line in section.splitlines()]
    return {r[0].strip(): [c.strip() for c in r[1:]] for r in rows if len(r) == 3}


def _row(starting: str) -> list[str]:
    found = [cells for what, cells in _rows().items() if what.startswith(starting)]
    assert len(found) == 1, f"docs/local.md has no timings row starting {starting!r}"
    return found[0]


def test_the_poll_time_budget_row() -> None:
    local, deployed = _row("poll-pending's time budget")
    assert local == f"{LOCAL.poll_time_budget_s} s"
    assert deployed == f"{VARIABLES['poll_time_budget_s']} s (`poll_time_budget_s`)"
    assert LOCAL.poll_time_budget_s != VARIABLES["poll_time_budget_s"], "no longer a difference"


def test_the_function_timeout_row() -> None:
    local, deployed = _row("each function's timeout")
    poller = PollerSettings.model_fields["function_timeout_s"].default
    other = RoitSettings.model_fields["function_timeout_s"].default
    assert f"{poller} s for poll_pending, {other} s for the others" in local
    functions = _functions_tf()
    default = functions["deployment_defaults"]["timeout_s"]  # type: ignore[index]
    own = {
        name.strip('"'): body["timeout_s"]
        for name, body in functions["deployment_settings"].items()  # type: ignore[attr-defined]
        if "timeout_s" in body
    }
    assert own, "no deployment sets its own timeout any more"
    for name, value in own.items():
        assert f"{value} s {name}" in deployed, (name, deployed)
    assert f"{default} s the others" in deployed


def test_the_delivery_attempts_row() -> None:
    local, deployed = _row("delivery attempts before a push message")
    assert local == str(LOCAL.push_max_delivery_attempts)
    assert deployed == str(PUBSUB["push_max_delivery_attempts"])


def test_the_schedule_row() -> None:
    _, deployed = _row("when poll-pending runs")
    minutes = re.search(r"`poll_interval_minutes` \((\d+)\)", deployed)
    assert minutes and int(minutes.group(1)) == VARIABLES["poll_interval_minutes"]
