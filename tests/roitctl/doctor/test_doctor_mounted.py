"""doctor and smoke against a deployed function whose secrets are mounted files (Terraform's
``mount_secrets``, the default): each ``ROIT_*_FILE`` is read by the secret mounted at its path,
from the Secret Manager stand-in, with the real sandbox; from an env file a mounted path is one
line saying where to check it, never a traceback."""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from roitctl_helpers import SECRET_MARKER, run_cli, write_env

from roitctl.doctor.checks import Status
from roitctl.environment import Deployment, deployment_of
from roitctl.golive.smoke import doctor_check

pytestmark = pytest.mark.integration

DATA = Path(__file__).parents[1] / "data"
CREDENTIALS = "/etc/secrets/roit-api-credentials/credentials.json"
WEBHOOK = "/etc/secrets/roit-webhook-secrets/webhook-secrets.txt"


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def function(sandbox, secret_manager) -> dict[str, Any]:
    """reprocess-webhook as the Functions API describes it (tests/roitctl/data), its ROIT the
    sandbox and its two secrets, mounted as files, in the Secret Manager stand-in."""
    suffix = uuid.uuid4().hex[:8]
    names = {"credentials": f"creds-{suffix}", "webhook": f"whsec-{suffix}"}
    secret = {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret}
    secret_manager.put(names["credentials"], json.dumps(secret))
    secret_manager.put(names["webhook"], whsec())
    doc = json.loads((DATA / "function_v2_mounted.json").read_text())
    service = doc["serviceConfig"]
    service["environmentVariables"].update(
        ROIT_BASE_URL=sandbox.url,
        ROIT_INTEGRATION_ID=sandbox.integration_id,
        ROIT_SECRET_MANAGER_ENDPOINT=secret_manager.endpoint,
        ROIT_RETRY_MAX_ATTEMPTS="2",
        ROIT_RETRY_BACKOFF_BASE_S="0.05",
    )
    for mount, key in zip(service["secretVolumes"], ("credentials", "webhook"), strict=True):
        mount.update(projectId=secret_manager.project, secret=names[key])
    return doc


def secret_name(secret_manager, doc: dict[str, Any], index: int) -> str:
    secret = doc["serviceConfig"]["secretVolumes"][index]["secret"]
    return f"projects/{secret_manager.project}/secrets/{secret}/versions/latest"


def test_smoke_reads_each_mounted_secret_by_its_name_and_says_so(function, secret_manager) -> None:
    assert not Path("/etc/secrets").exists()  # as on an operator's machine
    deployment = deployment_of(function)
    check = doctor_check("reprocess-webhook", deployment)
    assert check.status is Status.OK, check
    assert check.detail.startswith(
        "passed: settings, credentials, webhook secrets, token exchange, authorization scheme"
    )
    credentials = secret_name(secret_manager, function, 0)
    assert f"ROIT_CREDENTIALS_FILE: mounted at {CREDENTIALS} in the function; " in check.detail
    assert f"read as secret {credentials}" in check.detail
    assert f"mounted at {WEBHOOK} in the function" in check.detail


def test_doctor_function_reads_the_mounted_secrets_by_name(
    function, secret_manager, sandbox, monkeypatch
) -> None:
    def described(name: str, *, project: str, region: str) -> Deployment:
        assert (name, project, region) == ("reprocess-webhook", "acme-erp-prod", "r1")
        return deployment_of(function)  # the Functions API's answer, recorded

    monkeypatch.setattr("roitctl.doctor.command.deployed_environment", described)
    result = run_cli(
        "doctor", "--function", "reprocess-webhook", "--region", "r1",
        "--project", "acme-erp-prod", "--no-pubsub", "--json",
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    checks = {c["check"]: c for c in result.json()["checks"]}
    assert checks["credentials"]["detail"] == (
        f"mounted at {CREDENTIALS} in the function; read as secret "
        f"{secret_name(secret_manager, function, 0)}: "
        "readable JSON with client_id and client_secret"
    )
    assert checks["webhook secrets"]["detail"] == (
        f"mounted at {WEBHOOK} in the function; read as secret "
        f"{secret_name(secret_manager, function, 1)}: 1 valid whsec_ secret(s)"
    )
    assert checks["token exchange"]["status"] == "ok"
    assert sandbox.client_secret not in result.out + result.err


def test_a_mounted_secret_that_cannot_be_read_fails_naming_where_it_is_mounted(
    function, secret_manager
) -> None:
    function["serviceConfig"]["secretVolumes"][0]["secret"] = f"absent-{uuid.uuid4().hex[:8]}"
    check = doctor_check("reprocess-webhook", deployment_of(function))
    assert check.status is Status.FAILED
    assert check.detail.startswith(
        f"credentials: mounted at {CREDENTIALS} in the function: secret "
    )
    assert "cannot be read (NotFound)" in check.detail
    absent = function["serviceConfig"]["secretVolumes"][0]["secret"]
    assert any(f"gcloud secrets versions add {absent} " in fix for fix in check.fix)

    secret_manager.put(function["serviceConfig"]["secretVolumes"][0]["secret"], SECRET_MARKER)
    check = doctor_check("reprocess-webhook", deployment_of(function))
    assert check.status is Status.FAILED
    assert "is not JSON with client_id and client_secret" in check.detail
    assert SECRET_MARKER not in check.detail + "".join(check.fix)


def test_from_an_env_file_a_mounted_path_is_one_line_naming_the_secret(tmp_path, function) -> None:
    env = dict(function["serviceConfig"]["environmentVariables"])
    path = write_env(tmp_path / "reprocess.env", env)
    result = run_cli("doctor", "--env-file", str(path), "--no-pubsub", "--json")
    assert result.code == 0, result.out + result.err
    assert result.err == "" and "Traceback" not in result.out
    checks = {c["check"]: c for c in result.json()["checks"]}
    assert checks["credentials"] == {
        "check": "credentials",
        "status": "skipped",
        "detail": f"ROIT_CREDENTIALS_FILE={CREDENTIALS} is mounted only in the deployed "
        "function (secret roit-api-credentials), not here",
        "fix": [
            "check it as the function reads it: roitctl doctor --function NAME --region REGION",
            "or here: ROIT_CREDENTIALS_SECRET=roit-api-credentials instead of "
            "ROIT_CREDENTIALS_FILE",
        ],
    }
    assert checks["webhook secrets"]["status"] == "skipped"
    assert checks["webhook secrets"]["detail"].startswith(
        f"ROIT_WEBHOOK_SECRETS_FILE={WEBHOOK} is mounted only in the deployed function "
        "(secret roit-webhook-secrets)"
    )
    assert checks["token exchange"] == {
        "check": "token exchange", "status": "skipped", "detail": "no credentials", "fix": [],
    }  # fmt: skip


def test_a_local_file_missing_from_a_directory_that_exists_is_a_failure(tmp_path, function) -> None:
    env = {
        **function["serviceConfig"]["environmentVariables"],
        "ROIT_CREDENTIALS_FILE": str(tmp_path / "credentials.json"),
    }
    result = run_cli(
        "doctor", "--env-file", str(write_env(tmp_path / "r.env", env)), "--no-pubsub", "--json"
    )
    assert result.code == 1
    credentials = {c["check"]: c for c in result.json()["checks"]}["credentials"]
    assert credentials["status"] == "failed"
    assert "cannot be read (No such file or directory)" in credentials["detail"]


def test_an_env_file_that_describes_the_function_maps_its_mounts_too(
    tmp_path, function, secret_manager
) -> None:
    """``gcloud functions describe NAME --format=json > f.json``: the same answer as the API's."""
    path = tmp_path / "reprocess-webhook.json"
    path.write_text(json.dumps(function))
    result = run_cli("doctor", "--env-file", str(path), "--no-pubsub", "--json")
    assert result.code == 0, result.out + result.err
    checks = {c["check"]: c for c in result.json()["checks"]}
    assert checks["settings"]["detail"] == "valid for reprocess"  # its entry point
    assert checks["credentials"]["detail"].startswith(
        f"mounted at {CREDENTIALS} in the function; read as secret "
        f"{secret_name(secret_manager, function, 0)}: "
    )
    assert checks["webhook secrets"]["status"] == "ok"
