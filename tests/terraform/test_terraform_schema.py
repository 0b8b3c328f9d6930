"""Offline schema check of terraform/ against the google provider (see scripts/terraform_schema.py).

The committed schema (provider_schema.json) is derived from the jsii assembly of the prebuilt
CDK-for-Terraform google provider bindings; these tests check terraform/ against it, prove the
check catches typos, and regenerate it from the package (downloaded by `make terraform-tools`)
to prove the committed file is what the package says.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tfhelpers import TERRAFORM_DIR, load_script

from devstack.testing import tool_missing

schema_tool = load_script("terraform_schema")


@pytest.fixture(scope="module")
def schema() -> dict:
    return schema_tool.load_schema()


def _copy_with(tmp_path: Path, relative: str, old: str, new: str) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform"))
    target = copy / relative
    text = target.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}: update this test"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


def test_terraform_matches_provider_schema(schema: dict) -> None:
    assert schema_tool.check_directory(TERRAFORM_DIR, schema) == []


def test_schema_is_for_the_pinned_provider(schema: dict) -> None:
    assert schema["providers"]["google"]["version"] == "6.50.0"
    versions = (TERRAFORM_DIR / "versions.tf").read_text(encoding="utf-8")
    assert '">= 6.50, < 7.0"' in versions


def test_schema_holds_exactly_the_types_terraform_uses(schema: dict) -> None:
    used = schema_tool.used_types(TERRAFORM_DIR)
    assert set(schema["resource"]) == used["resource"]
    assert set(schema["data"]) == used["data"]


@pytest.mark.parametrize(
    ("relative", "old", "new", "expected"),
    [
        pytest.param(
            "modules/function/main.tf",
            "max_instance_request_concurrency =",
            "max_instance_request_concurency =",
            "unknown argument or block 'max_instance_request_concurency'"
            " (did you mean 'max_instance_request_concurrency'?)",
            id="nested-attribute",
        ),
        pytest.param(
            "pubsub.tf",
            "    oidc_token {",
            "    oidc_tokens {",
            "push_config: unknown argument or block 'oidc_tokens' (did you mean 'oidc_token'?)",
            id="nested-block",
        ),
        pytest.param(
            "scheduler.tf",
            "  attempt_deadline =",
            "  attempt_dealine  =",
            "google_cloud_scheduler_job.poll_pending: unknown argument or block 'attempt_dealine'",
            id="top-level-attribute",
        ),
        pytest.param(
            "pubsub.tf",
            'resource "google_pubsub_topic" "main"',
            'resource "google_pubsub_topik" "main"',
            "unknown resource type 'google_pubsub_topik' (did you mean 'google_pubsub_topic'?)",
            id="resource-type",
        ),
        pytest.param(
            "main.tf",
            'data "google_project" "main"',
            'data "google_projekt" "main"',
            "unknown data type 'google_projekt'",
            id="data-source-type",
        ),
        pytest.param(
            "pubsub.tf",
            "    push_endpoint = module.function[each.value.deployment].uri\n",
            "",
            "subscription.push.push_config: missing required argument 'push_endpoint'",
            id="missing-required",
        ),
        pytest.param(
            "functions.tf",
            "  memory_mb             =",
            "  memory_mib            =",
            "module.function: unknown module input 'memory_mib' (did you mean 'memory_mb'?)",
            id="module-input",
        ),
        pytest.param(
            "modules/function/main.tf",
            "    precondition {",
            "    precondtion {",
            "lifecycle: unknown argument or block 'precondtion'",
            id="lifecycle-block",
        ),
        pytest.param(
            "variables.tf",
            '  description = "The region',
            '  descripton = "The region',
            "var.region: unknown key 'descripton'",
            id="variable-key",
        ),
    ],
)
def test_check_reports_typos(
    tmp_path: Path, schema: dict, relative: str, old: str, new: str, expected: str
) -> None:
    copy = _copy_with(tmp_path, relative, old, new)
    errors = schema_tool.check_directory(copy, schema)
    assert any(expected in error for error in errors), errors


def test_check_command_exits_non_zero_on_a_typo(tmp_path: Path, capsys) -> None:
    copy = _copy_with(tmp_path, "pubsub.tf", "ack_deadline_seconds", "ack_deadline_second")
    assert schema_tool.main(["check", str(copy)]) == 1
    assert "unknown argument or block 'ack_deadline_second'" in capsys.readouterr().out


def test_other_providers_are_reported_as_not_covered(tmp_path: Path, schema: dict) -> None:
    copy = tmp_path / "terraform"
    copy.mkdir()
    (copy / "main.tf").write_text('resource "random_id" "x" {\n  byte_length = 4\n}\n')
    errors = schema_tool.check_directory(copy, schema)
    assert errors == ["main.tf: random_id.x: provider of 'random_id' is not covered"]


def test_committed_schema_regenerates_identically(tmp_path: Path, schema: dict) -> None:
    wheels = schema_tool.find_wheels()
    if not wheels:
        tool_missing(
            "the cdktf-cdktf-provider-google wheel is not downloaded: run `make terraform-tools`"
        )
    regenerated = schema_tool.generate_schema(wheels, schema_tool.used_types(TERRAFORM_DIR))
    committed = schema_tool.DEFAULT_SCHEMA.read_text(encoding="utf-8")
    assert schema_tool.dump_schema(regenerated) == committed, (
        "tests/terraform/provider_schema.json is stale: "
        "run python scripts/terraform_schema.py generate"
    )
    assert json.loads(committed)["providers"]["google"]["package"] == wheels[0].name
