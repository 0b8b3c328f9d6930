"""What ``roitctl setup`` and ``roitctl token-settings`` write passes the real
``terraform fmt -check`` (the plan build runs it on the committed tfvars): new files, the
repository's examples updated, values longer and shorter than the ones they replace."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from golive_helpers import ERP, new_project
from roitctl_helpers import run_cli

from devstack.processes.managed import REPO_ROOT
from devstack.testing import require_tool
from roitctl.golive.hclfmt import align
from roitctl.golive.secrets import CREDENTIALS_SECRET, SecretValues

pytestmark = pytest.mark.integration

PEOPLE = ["--team-group", "t@acme.io", "--erp-principal", ERP, "--alert-email", "a@acme.io"]
SHORT = ["--project", "acme-x1", "--region", "us-east1", "--integration-id", "7", *PEOPLE]
LONG = [
    "--project", "acme-roit-connector-prod-0042", "--region", "northamerica-northeast1",
    "--integration-id", "5f0c6a2e-1b7d-4e8f-9a3c-2d4e6f8a0b1c-with-a-long-suffix",
    "--team-group", "roit-integration-operations-team@acme-holding.test",
    "--erp-principal", ERP, "--erp-principal", "group:erp-integration-publishers@acme.test",
    "--alert-email", "oncall@acme.test", "--alert-email", "roit-escalations@acme-holding.test",
    "--notification-channel", "projects/acme-roit-connector-prod-0042/notificationChannels/987",
]  # fmt: skip
ANSWERS = {"short": SHORT, "long": LONG}
OWN_VALUES = (
    ("example.com", "acme.test"),
    ("erp-project-", "acme-erp-"),
    ("00000000-0000-0000-0000-000000000000", "acme-1234"),
    ("notificationChannels/1234567890", "notificationChannels/42"),
)


@pytest.fixture(scope="module")
def terraform() -> str:
    return require_tool("terraform", "the Terraform CLI (>= 1.9, CI uses 1.11) on PATH")


def fmt_problem(terraform: str, path: Path) -> str | None:
    """``terraform fmt -check``'s diff of ``path``; ``None`` when it exits 0."""
    result = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-no-color", str(path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    return None if result.returncode == 0 else f"exit {result.returncode}:\n{result.stdout}"


def starting_file(tmp_path: Path, start: str) -> Path:
    """A tfvars to run the commands on: none yet, or an example with its example values made
    the deployment's own (setup refuses a file that keeps them)."""
    path = tmp_path / "env.tfvars"
    if start != "new":
        text = (REPO_ROOT / "terraform" / "environments" / f"{start}.tfvars").read_text()
        for old, new in OWN_VALUES:
            text = text.replace(old, new)
        path.write_text(text)
    return path


def setup(path: Path, answers: list[str], environment: str = "dev") -> None:
    result = run_cli("setup", "--tfvars", str(path), "--skip-secrets", "--environment",
                     environment, *answers)  # fmt: skip
    assert result.code == 0, result.err


@pytest.mark.parametrize("start", ["new", "dev", "prod"])
@pytest.mark.parametrize("first,then", [("short", "long"), ("long", "short")])
def test_setup_writes_what_terraform_fmt_keeps(terraform, tmp_path, start, first, then):
    path = starting_file(tmp_path, start)
    setup(path, ANSWERS[first], "prod" if start == "prod" else "dev")
    assert fmt_problem(terraform, path) is None, fmt_problem(terraform, path)
    setup(path, ANSWERS[then])  # every value replaced by a longer or a shorter one
    assert fmt_problem(terraform, path) is None, fmt_problem(terraform, path)


@pytest.fixture
def project(secret_manager) -> str:
    return new_project(secret_manager)


@pytest.mark.parametrize("start", ["new", "prod"])
def test_token_settings_writes_what_terraform_fmt_keeps(
    terraform, tmp_path, start, secret_manager, project, shaped, sandbox
):
    credentials = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    SecretValues(project, secret_manager.endpoint).put(CREDENTIALS_SECRET, json.dumps(credentials))
    path = starting_file(tmp_path, start)
    setup(path, ["--project", project, "--integration-id", sandbox.integration_id, *PEOPLE])
    scope = {"scope": "roit.integration"} if start == "prod" else {}
    if scope:  # the operator wrote the scope only ROIT can tell: a nested map to keep
        path.write_text(
            path.read_text()
            + '\nroit_token = {\n  extra_fields = { scope = "roit.integration" }\n}\n'
        )
    args = ["token-settings", "--tfvars", str(path), "--base-url", sandbox.url,
            "--secret-manager-endpoint", secret_manager.endpoint]  # fmt: skip
    # a new roit_token, then a longer one in its place (names and values of other lengths)
    for shape in (
        {"token_shape": "oauth2-form"},
        {"token_shape": "oauth2-basic", "opaque_tokens": True},
    ):
        shaped(**shape, token_required_fields=scope)
        result = run_cli(*args)
        assert result.code == 0 and "wrote roit_token" in result.out, result.out + result.err
        assert fmt_problem(terraform, path) is None, fmt_problem(terraform, path)
    assert run_cli(*args).out.endswith("nothing to change\n")


ODD_LAYOUT = """\
a = 1 # one
bbbb = "x=y" # longer
# a comment line ends the run
c = [
  1, # one
  22, /* two */
]
d = <<EOT
x = 1
EOT
ee = 2
m = {
  k = "$${not an interpolation}"
  "kk-k" = { z = 1 }
  n = {
    q = 2 // slashes
    qqq = 3
  }
  list = [{ x = 1 }, { yy = 2 }]
}
op = 1 == 2 ? "a" : "b"
"""


def test_the_alignment_is_terraforms_on_what_files_may_hold(terraform, tmp_path):
    """Past what setup writes: trailing comments, heredocs, nested maps, `==` in a value."""
    path = tmp_path / "odd.tfvars"
    path.write_text(align(ODD_LAYOUT))
    assert fmt_problem(terraform, path) is None, fmt_problem(terraform, path)
    path.write_text(ODD_LAYOUT)
    assert fmt_problem(terraform, path) is not None  # the check sees a misaligned file
