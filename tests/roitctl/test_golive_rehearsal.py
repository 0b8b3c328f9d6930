"""`make rehearse` as `make test` runs it: a go-live on the local stack, every step green, and
no secret value — the client secret made up for the run, every webhook secret ever stored —
in any file written (tfvars, outputs, sheets, the transcript of every command's output, the
stack's logs and env files), raw or base64."""

from __future__ import annotations

import base64
import json

import pytest

from devstack.processes.factories import GCLOUD_INSTALL_HINT
from devstack.rehearse import rehearse
from devstack.testing import require_tool

pytestmark = pytest.mark.integration

STEPS = [
    "setup",
    "setup again",
    "token-settings",
    "handover erp",
    "handover partner",
    "smoke",
    "the ERP sheet's example",
    "the partner sheet's signed call",
    "webhook-secret rotate",
    "webhook-secret retire",
    "smoke after the rotation",
]


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    if secret.startswith("whsec_"):  # the key itself, as bytes re-encoded
        key = base64.b64decode(secret.removeprefix("whsec_"))
        forms |= {key.hex(), base64.urlsafe_b64encode(key).decode().rstrip("=")}
    return forms


def test_a_go_live_rehearsed_on_the_local_stack_ends_green_and_leaks_nothing(tmp_path) -> None:
    require_tool("gcloud", GCLOUD_INSTALL_HINT)
    require_tool("java", GCLOUD_INSTALL_HINT)
    lines: list[str] = []
    result = rehearse(tmp_path / "rehearsal", say=lines.append)
    report = "\n".join(lines)
    assert [name for name, _, _ in result.steps] == STEPS, report
    assert result.passed, report
    smoke = [line for line in lines if line.startswith("         ")]
    assert any("poll run" in line and "published 3" in line for line in smoke), report
    not_here = [line for line in smoke if "skipped" in line]
    assert not_here and all("not applicable locally" in line for line in not_here), report
    # every version the rehearsal stored: setup's, the rotation's two, the retired state
    assert len(result.webhook_secrets) == 4 and len(set(result.webhook_secrets)) == 2

    files = [p for p in result.workdir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    wanted = {"rehearsal.tfvars", "outputs.json", "transcript.txt", "handover-erp.md",
              "handover-partner.md", "poll_pending.log", "poll_pending.env"}  # fmt: skip
    assert wanted <= names, names
    texts = {str(p): p.read_text(encoding="utf-8", errors="replace") for p in files}
    texts["the rehearsal's own lines"] = report
    secrets = [result.client_secret, *set(result.webhook_secrets)]
    for where, text in texts.items():
        for secret in secrets:
            for form in _forms(secret):
                assert form not in text, f"a secret ({form[:6]}...) in {where}"
    erp = json.loads((result.workdir / "outputs.json").read_text())["erp_subscription"]["value"]
    assert erp in texts[str(result.workdir / "handover-erp.md")]
