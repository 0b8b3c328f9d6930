"""The go-live commands as the operator runs them, against the Secret Manager stand-in (the real
google-cloud-secret-manager client, REST, anonymous credentials): re-runs add nothing, the
rotation keeps two secrets then one, every mistake is one line with exit 2, and no secret
value is printed, logged or written (but for the one explicit print, to a terminal only)."""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import uuid
from pathlib import Path

import pytest
from golive_helpers import CLIENT_SECRET, CREDENTIALS, ERP, new_project
from roitctl_helpers import Result, run_cli

from devstack.processes.managed import REPO_ROOT
from roitctl.golive.hcl import read_tfvars
from roitctl.golive.secrets import CREDENTIALS_SECRET, SecretValues
from roitctl.golive.tfvars import write_tfvars

pytestmark = pytest.mark.integration


@pytest.fixture
def project(secret_manager) -> str:
    return new_project(secret_manager)


def setup_args(tfvars: Path, project: str, endpoint: str, *extra: str) -> list[str]:
    return [
        "setup", "--tfvars", str(tfvars), "--project", project, "--environment", "dev",
        "--roit-env", "hom", "--integration-id", "acme-1234", "--team-group", "team@acme.test",
        "--erp-principal", ERP, "--alert-email", "oncall@acme.test",
        "--secret-manager-endpoint", endpoint, "--json", *extra,
    ]  # fmt: skip


def run_with_stdin(monkeypatch, text: str, *args: str) -> Result:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    return run_cli(*args)


def forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]


def test_setup_twice_then_rotate_and_retire(tmp_path, secret_manager, project, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, every level: grepped below
    tfvars = tmp_path / "dev.tfvars"
    args = setup_args(tfvars, project, secret_manager.endpoint, "--credentials-file", "-")
    first = run_with_stdin(monkeypatch, CREDENTIALS, *args)
    assert first.code == 0, first.err
    assert first.json()["credentials"] == first.json()["webhookSecret"] == "added version 1"
    again = run_with_stdin(monkeypatch, CREDENTIALS, *args)
    assert again.code == 0, again.err
    assert again.json()["credentials"] == "unchanged"
    assert again.json()["webhookSecret"] == "kept (one exists)"
    assert again.json()["tfvars"]["changed"] is False
    # with no credentials given and one stored: kept, nothing asked
    kept = run_with_stdin(monkeypatch, "", *setup_args(tfvars, project, secret_manager.endpoint))
    assert kept.code == 0 and kept.json()["credentials"] == "unchanged", kept.err

    values = SecretValues(project, secret_manager.endpoint)
    assert json.loads(values.latest(CREDENTIALS_SECRET) or "")["client_secret"] == CLIENT_SECRET
    (original,) = values.webhook_secrets()
    tfvars_flag = ["--tfvars", str(tfvars), "--secret-manager-endpoint", secret_manager.endpoint]
    rotated = run_cli("webhook-secret", "rotate", *tfvars_flag)
    assert rotated.code == 0, rotated.err
    old, new = values.webhook_secrets()
    assert old == original != new
    twice = run_cli("webhook-secret", "rotate", *tfvars_flag)
    assert twice.code == 2 and "already under way" in twice.err
    assert run_cli("webhook-secret", "retire", *tfvars_flag).code == 0
    assert values.webhook_secrets() == [new]
    regenerated = run_with_stdin(monkeypatch, "", *setup_args(
        tfvars, project, secret_manager.endpoint, "--regenerate-webhook-secret"))  # fmt: skip
    assert regenerated.code == 0 and values.webhook_secrets() != [new]

    secrets = [CLIENT_SECRET, original, new, *values.webhook_secrets()]
    printed = "".join(r.out + r.err for r in (first, again, kept, rotated, twice, regenerated))
    logged = "\n".join(f"{r.getMessage()} {r.args} {r.exc_text}" for r in caplog.records)
    written = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    for secret in secrets:
        for form in forms(secret):
            assert form not in printed and form not in logged and form not in written


@pytest.mark.parametrize(
    ("change", "stdin", "words"),
    [
        (["--project", "Not_A_Project"], "", "--project"),
        (["--erp-principal", "allUsers"], "", "--erp-principal"),
        (["--environment", "qa"], "", "--environment"),
        (["--roit-env", "staging"], "", "--roit-env"),
        (["--team-group", "team@example.com"], "", "example.com"),
        (["--credentials-file", "-"], "client_secret=hunter2", "must be JSON"),
        (["--credentials-file", "/nonexistent/creds.json"], "", "cannot read"),
        ([], "", "no ROIT credentials yet"),
    ],
)
def test_each_setup_mistake_is_one_line_and_exit_2(
    tmp_path, secret_manager, project, monkeypatch, change, stdin, words
):
    args = setup_args(tmp_path / "dev.tfvars", project, secret_manager.endpoint)
    for flag, value in zip(change[::2], change[1::2], strict=True):
        at = args.index(flag) if flag in args else None
        if at is None:
            args += [flag, value]
        else:
            args[at + 1] = value
    result = run_with_stdin(monkeypatch, stdin, *args)
    assert result.code == 2, (result.out, result.err)
    assert result.err.count("\n") == 1 and result.err.startswith("error: "), result.err
    assert words in result.err and "Traceback" not in result.err
    assert "hunter2" not in result.err


def test_secrets_terraform_has_not_created_yet_are_named(tmp_path, secret_manager, monkeypatch):
    args = setup_args(tmp_path / "dev.tfvars", "golive-none-here", secret_manager.endpoint)
    result = run_with_stdin(monkeypatch, CREDENTIALS, *args, "--credentials-file", "-")
    assert result.code == 2 and "apply terraform/ first" in result.err
    assert result.err.count("\n") == 1


def test_missing_answers_without_a_terminal(tmp_path, monkeypatch):
    result = run_with_stdin(monkeypatch, "", "setup", "--tfvars", str(tmp_path / "x.tfvars"))
    assert result.code == 2 and result.err == "error: missing --environment (or run in a " \
        "terminal to be asked)\n"  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["handover", "erp"],
        ["handover", "erp", "--tfvars", "/nonexistent.tfvars"],
        ["handover", "partner", "--outputs", "/nonexistent.json"],
        ["smoke", "--outputs", "/nonexistent.json"],
        ["token-settings", "--tfvars", "/nonexistent.tfvars"],
        ["webhook-secret", "rotate"],
        ["setup"],
        ["smoke"],
        ["token-settings"],
        ["smoke", "--outputs", "/dev/null", "--tfvars", "/nonexistent.tfvars"],
    ],
)
def test_hand_over_and_smoke_mistakes_are_one_line(args):
    result = run_cli(*args)
    assert result.code == 2 and result.err.startswith("error: "), result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err


def test_token_settings_writes_what_the_token_endpoint_needs(
    tmp_path, secret_manager, project, shaped, sandbox
):
    shaped(token_shape="oauth2-form")
    credentials = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    SecretValues(project, secret_manager.endpoint).put(CREDENTIALS_SECRET, json.dumps(credentials))
    tfvars = tmp_path / "dev.tfvars"
    write_tfvars(tfvars, {"project_id": project, "roit_base_url": "https://hom.roit.ai",
                          "roit_integration_id": sandbox.integration_id})  # fmt: skip
    args = ["token-settings", "--tfvars", str(tfvars), "--base-url", sandbox.url,
            "--secret-manager-endpoint", secret_manager.endpoint]  # fmt: skip
    first = run_cli(*args)
    assert first.code == 0, first.err
    token = read_tfvars(tfvars)["roit_token"]
    assert token["request_format"] == "form" and token["response_field"] == "access_token"
    assert read_tfvars(tfvars)["project_id"] == project  # the rest kept
    second = run_cli(*args)
    assert second.code == 0 and "nothing to change" in second.out, second.err
    assert sandbox.client_secret not in first.out + first.err + tfvars.read_text()


def test_token_settings_with_credentials_roit_refuses_say_so(
    tmp_path, secret_manager, project, sandbox
):
    wrong = {"client_id": sandbox.client_id, "client_secret": "not-the-one-" + uuid.uuid4().hex}
    SecretValues(project, secret_manager.endpoint).put(CREDENTIALS_SECRET, json.dumps(wrong))
    tfvars = tmp_path / "dev.tfvars"
    write_tfvars(tfvars, {"project_id": project, "roit_base_url": "https://hom.roit.ai",
                          "roit_integration_id": sandbox.integration_id})  # fmt: skip
    before = tfvars.read_text()
    result = run_cli("token-settings", "--tfvars", str(tfvars), "--base-url", sandbox.url,
                     "--secret-manager-endpoint", secret_manager.endpoint)  # fmt: skip
    assert result.code == 1 and result.err.startswith("token exchange: "), result.err
    assert tfvars.read_text() == before and wrong["client_secret"] not in result.err


def test_a_rerun_with_no_flags_keeps_what_the_file_says(tmp_path, monkeypatch):
    tfvars = tmp_path / "prod.tfvars"
    text = (REPO_ROOT / "terraform/environments/prod.tfvars").read_text()
    for old, new in (("example.com", "acme.test"), ("erp-project-prod", "acme-erp"),
                     ("00000000-0000-0000-0000-000000000000", "acme-1234"),
                     ("notificationChannels/1234567890", "notificationChannels/42")):  # fmt: skip
        text = text.replace(old, new)
    tfvars.write_text(text)
    result = run_with_stdin(monkeypatch, "", "setup", "--tfvars", str(tfvars), "--skip-secrets")
    assert result.code == 0, result.err
    assert tfvars.read_text() == text  # nothing asked, nothing changed
    publishers = read_tfvars(tfvars)["erp_publisher_members"]
    assert publishers == [ERP.replace("erp@erp-project", "erp-connector@acme-erp"),
                          "group:erp-integration@acme.test"]  # fmt: skip
