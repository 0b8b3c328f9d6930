"""The go-live pieces with no process: the tfvars rules and writer, the secrets' shapes, the
hand-over sheets (smoke's checks: test_golive_smoke.py)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import hcl2
import pytest
from golive_helpers import ERP, deployed

from devstack.processes.managed import REPO_ROOT
from roitctl.golive import rules
from roitctl.golive.deployed import DeployedError, load_deployed
from roitctl.golive.handover import HandoverError, erp_markdown, erp_sheet, partner_sheet
from roitctl.golive.hcl import read_tfvars, set_values
from roitctl.golive.secrets import SecretsError, credentials_json, new_webhook_secret
from roitctl.golive.tfvars import SetupValues, TfvarsRefused, token_values, write_tfvars
from shared.entry.webhook_secrets import parse_webhook_secrets

pytestmark = pytest.mark.unit

VARIABLES = (REPO_ROOT / "terraform" / "variables.tf").read_text()


def values(**changes: object) -> SetupValues:
    base: dict[str, object] = {
        "project_id": "acme-roit-dev",
        "region": "southamerica-east1",
        "environment": "dev",
        "roit_base_url": "https://hom.roit.ai",
        "integration_id": "1234",
        "team_group": "team@acme.test",
        "erp_members": (ERP,),
        "alert_emails": ("oncall@acme.test",),
    }
    return SetupValues(**{**base, **changes})  # type: ignore[arg-type]


# --- the rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern", [rules.PROJECT_ID, rules.REGION, rules.EMAIL, rules.ERP_MEMBER,
                rules.NOTIFICATION_CHANNEL],
)  # fmt: skip
def test_each_pattern_is_terraforms_own(pattern: str) -> None:
    hcl_text = pattern.replace("\\", "\\\\")  # as written inside an HCL string
    assert f'regex("{hcl_text}"' in VARIABLES


def test_check_tfvars_uses_the_same_rules() -> None:
    import runpy

    script = runpy.run_path(str(REPO_ROOT / "scripts" / "check_tfvars.py"))
    assert script["PLACEHOLDERS"] is rules.PLACEHOLDERS
    for example in (REPO_ROOT / "terraform" / "environments").glob("*.tfvars"):
        assert script["problems"](example) == rules.problems(example) != []


def test_every_mistake_in_the_answers_is_named() -> None:
    assert values().problems() == []
    wrong = values(
        project_id="Acme", region="brazil", environment="qa", team_group="team",
        erp_members=("allUsers",), alert_emails=(), notification_channels=("chan/1",),
        roit_base_url="http://hom.roit.ai", integration_id="",
    )  # fmt: skip
    found = " | ".join(wrong.problems())
    for option in ("--project", "--region", "--environment", "--team-group", "--erp-principal",
                   "--notification-channel", "https://", "--integration-id"):  # fmt: skip
        assert option in found, found
    assert "ERP gets 403" in " ".join(values(erp_members=()).problems())
    assert "reach nobody" in " ".join(values(alert_emails=()).problems())


# --- writing the tfvars --------------------------------------------------------------------


def test_the_written_tfvars_parse_and_hold_the_answers(tmp_path: Path) -> None:
    path = tmp_path / "dev.tfvars"
    assert write_tfvars(path, values().assignments())
    parsed = read_tfvars(path)
    assert parsed["project_id"] == "acme-roit-dev"
    assert parsed["erp_subscriber_members"] == parsed["erp_publisher_members"] == [ERP]
    assert hcl2.loads(path.read_text())  # Terraform's syntax
    assert not write_tfvars(path, values().assignments())  # a re-run changes nothing


def test_other_lines_and_comments_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "prod.tfvars"
    path.write_text((REPO_ROOT / "terraform/environments/prod.tfvars").read_text())
    write_tfvars(path, values(notification_channels=("projects/p/notificationChannels/7",))
                 .assignments())  # fmt: skip
    text, parsed = path.read_text(), read_tfvars(path)
    assert "# Brazilian fiscal data at rest" in text
    assert parsed["function_settings"]["reprocess-webhook"] == {"min_instances": 1}
    assert parsed["kms_key_name"].startswith("projects/roit-connector-prod/")
    assert parsed["notification_channels"] == ["projects/p/notificationChannels/7"]
    assert rules.problems(path) == []


def test_interpolation_is_escaped() -> None:
    text = set_values("", {"labels": {"a": "${var.x}"}})
    assert "$${var.x}" in text


@pytest.mark.parametrize("form", ["raw", "base64", "whsec"])
def test_a_secret_is_never_written(tmp_path: Path, form: str) -> None:
    secret = "client-s3cret-value-42"
    leaked = {
        "raw": secret,
        "base64": base64.b64encode(secret.encode()).decode(),
        "whsec": new_webhook_secret(),
    }[form]
    path = tmp_path / "dev.tfvars"
    with pytest.raises(TfvarsRefused, match="secret") as caught:
        write_tfvars(path, {**values().assignments(), "labels": {"x": leaked}}, [secret])
    assert secret not in str(caught.value) and leaked not in str(caught.value)
    assert not path.exists()


def test_an_example_value_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(TfvarsRefused, match=r"example\.com"):
        write_tfvars(tmp_path / "x.tfvars", values(team_group="t@example.com").assignments())


def test_doctors_fixes_become_the_token_settings() -> None:
    fixes = [
        "ROIT_TOKEN_REQUEST_FORMAT=form",
        "ROIT_TOKEN_CLIENT_AUTH=basic",
        'ROIT_TOKEN_EXTRA_FIELDS=\'{"scope":"roit.integration"}\'',
        "ROIT_TOKEN_RESPONSE_FIELD=access_token",
        "ROIT_AUTH_SCHEME=bearer",
        "check ROIT_TOKEN_URL",  # advice, not a setting
    ]
    found = token_values(fixes, {"roit_token": {"url": "/oauth/token"}})
    assert found == {
        "roit_auth_scheme": "bearer",
        "roit_token": {
            "url": "/oauth/token",
            "request_format": "form",
            "client_auth": "basic",
            "extra_fields": {"scope": "roit.integration"},
            "response_field": "access_token",
        },
    }
    assert token_values([], {"roit_token": {"url": "/t"}}) == {}


# --- secrets -------------------------------------------------------------------------------


def test_the_generated_webhook_secret_is_what_the_functions_accept() -> None:
    secret = new_webhook_secret()
    assert parse_webhook_secrets(secret) == [secret]
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert new_webhook_secret() != secret


def test_credentials_are_canonical_json_and_never_quoted_back() -> None:
    assert json.loads(credentials_json('{"clientId": "a", "clientSecret": "b"}')) == {
        "client_id": "a",
        "client_secret": "b",
    }
    with pytest.raises(SecretsError) as caught:
        credentials_json("client_secret=hunter2-value")
    assert "hunter2" not in str(caught.value)


# --- the sheets ----------------------------------------------------------------------------


def test_the_erp_sheet_names_every_principal_and_topic() -> None:
    sheet = erp_sheet(deployed())
    text = erp_markdown(sheet)
    for principal in (ERP, "group:erp-team@acme.test"):
        assert principal in text
    assert sheet["pull"]["grantedTo"] == [ERP]
    assert sheet["publish"]["grantedTo"] == [ERP, "group:erp-team@acme.test"]
    for name in ("roit-pending-erp", "projects/acme-roit-dev/topics/roit-status",
                 "projects/acme-roit-dev/topics/roit-deliveries"):  # fmt: skip
        assert name in text
    schemas = sheet["contract"]["schemas"]
    assert any("requestId" in json.dumps(v) for k, v in schemas.items() if "roit-status" in k)
    assert {k.split(".")[0] for k in schemas} == {"roit-pending", "roit-status", "roit-deliveries"}
    compile(sheet["example"]["python"], "example", "exec")  # the example is Python


def test_no_erp_sheet_without_an_erp_principal() -> None:
    with pytest.raises(HandoverError, match="erp_subscriber_members"):
        erp_sheet(deployed(erp_subscribers=[]))
    with pytest.raises(HandoverError, match="erp_publisher_members"):
        erp_sheet(deployed(erp_publishers=[]))


def test_the_partner_sheet_needs_the_outputs_and_holds_no_secret() -> None:
    sheet = partner_sheet(deployed())
    assert sheet["url"] == "https://reprocess-webhook.run.app"
    assert not re.search(r"whsec_[A-Za-z0-9+/]{16}", json.dumps(sheet))
    with pytest.raises(HandoverError, match="--outputs"):
        partner_sheet(deployed(function_uris={}))


def test_terraform_outputs_and_tfvars_give_the_names(tmp_path: Path) -> None:
    outputs = tmp_path / "out.json"
    outputs.write_text(json.dumps({
        "topics": {"value": {"roit-status": "projects/p-1/topics/roit-status"}},
        "function_uris": {"value": {"poll-pending": "https://poll"}},
        "erp_subscription": {"value": "projects/p-1/subscriptions/roit-pending-erp"},
    }))  # fmt: skip
    found = load_deployed(outputs, None)
    assert found.project == "p-1" and found.function_uris == {"poll-pending": "https://poll"}
    assert found.from_outputs and found.erp_subscribers == []
    with pytest.raises(DeployedError, match="--outputs"):
        load_deployed(None, None)
    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(DeployedError, match="terraform output -json"):
        load_deployed(tmp_path / "bad.json", None)


def test_the_erp_sheet_says_which_timings_are_deployed() -> None:
    sheet = erp_sheet(deployed(tfvars={"poll_interval_minutes": 15, "erp_ack_deadline_s": 90}))
    found = sheet["deployed"]
    assert found["poll_interval_minutes"] == {"value": 15, "from": "the tfvars"}
    budget = re.search(r'variable "retry_budget_s" \{[^}]*?default\s*=\s*(\d+)', VARIABLES)
    assert budget and found["retry_budget_s"] == {
        "value": int(budget.group(1)),
        "from": "Terraform's default",
    }
    assert sheet["pull"]["ackDeadlineS"] == 90
    assert "`poll_interval_minutes` = `15` (the tfvars)" in erp_markdown(sheet)
