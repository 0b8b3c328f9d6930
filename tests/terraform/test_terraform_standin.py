"""`terraform init`, `validate` and `plan`, offline, with the schema-only stand-in provider.

The stand-in (scripts/terraform_standin.py) serves the google provider's schema derived from the
pinned CDK-for-Terraform bindings, so Terraform itself checks types, required arguments, block
nesting, references, variable validations and preconditions. These tests plan both example
environments of the root module and of the bootstrap, prove that each kind of mistake fails
Terraform, and prove the committed schema current.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from tfhelpers import (
    BOOTSTRAP_DIR,
    STANDIN_CONFIG,
    TERRAFORM_DIR,
    Workspace,
    load_script,
    standin_config,
)

from devstack.testing import tool_missing


pytestmark = pytest.mark.integration

standin = load_script("terraform_standin")

GOOGLE = "registry.terraform.io/hashicorp/google"


@pytest.fixture(scope="module")
def schema() -> dict:
    return standin.load_schema()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("root"))


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("bootstrap"), "bootstrap")


def _replace(relative: str, old: str, new: str, count: int = 1):
    def edit(top: Path) -> None:
        target = top / relative
        text = target.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}: update this test"
        target.write_text(text.replace(old, new, count), encoding="utf-8")

    return edit


# --- the stand-in is what Terraform installs ----------------------------------------------------


@pytest.mark.parametrize("fixture", ["root", "bootstrap"])
def test_init_installs_the_standin_as_the_pinned_provider(
    request: pytest.FixtureRequest, fixture: str, schema: dict
) -> None:
    workspace: Workspace = request.getfixturevalue(fixture)
    assert workspace.init.ok, workspace.init.output
    version = standin.provider_version(schema)
    assert f"Installing hashicorp/google v{version}" in workspace.init.stdout
    lock = (workspace.directory / ".terraform.lock.hcl").read_text(encoding="utf-8")
    assert f'provider "{GOOGLE}"' in lock
    assert f'version     = "{version}"' in lock


@pytest.mark.parametrize("fixture", ["root", "bootstrap"])
def test_validate_passes(request: pytest.FixtureRequest, fixture: str) -> None:
    workspace: Workspace = request.getfixturevalue(fixture)
    result = workspace.validate()
    assert result.ok, result.output
    assert "The configuration is valid" in result.stdout


@pytest.mark.parametrize("environment", ["dev", "prod"])
@pytest.mark.parametrize("fixture", ["root", "bootstrap"])
def test_both_environments_plan(
    request: pytest.FixtureRequest, fixture: str, environment: str
) -> None:
    workspace: Workspace = request.getfixturevalue(fixture)
    result = workspace.plan(f"environments/{environment}.tfvars")
    assert result.ok, result.output[-4000:]
    assert re.search(r"Plan: \d+ to add, 0 to change, 0 to destroy", result.stdout)
    assert "Warning" not in result.output, result.output


def test_every_environment_file_is_planned() -> None:
    for directory in (TERRAFORM_DIR, BOOTSTRAP_DIR):
        files = sorted(p.name for p in (directory / "environments").glob("*.tfvars"))
        assert files == ["dev.tfvars", "prod.tfvars"], directory


# --- each kind of mistake fails Terraform ---------------------------------------------------------

BREAKS = [
    pytest.param(
        "",
        "pubsub.tf",
        "ack_deadline_seconds       = 60",
        'ack_deadline_seconds       = "sixty"',
        'Inappropriate value for attribute "ack_deadline_seconds": a number is required',
        id="wrong-type",
    ),
    pytest.param(
        "",
        "pubsub.tf",
        "    push_endpoint = module.function[each.value.deployment].uri\n",
        "",
        'The argument "push_endpoint" is required, but no definition was found',
        id="missing-required-argument",
    ),
    pytest.param(
        "",
        "pubsub.tf",
        'data.google_service_account.runtime["push"].email',
        'data.google_service_account.runtime["push"].emial',
        'This object has no argument, nested block, or exported attribute named "emial"',
        id="unknown-attribute-reference",
    ),
    pytest.param(
        "",
        "modules/function/outputs.tf",
        "google_cloudfunctions2_function.main.service_config[0].uri",
        "google_cloudfunctions2_function.main.service_config[0].url",
        "Unsupported attribute",
        id="unknown-nested-attribute-reference",
    ),
    pytest.param(
        "",
        "modules/function/main.tf",
        "max_instance_request_concurrency =",
        "max_instance_request_concurency =",
        'An argument named "max_instance_request_concurency" is not expected here',
        id="unknown-argument",
    ),
    pytest.param(
        "",
        "pubsub.tf",
        "    oidc_token {",
        "    oidc_tokens {",
        'Blocks of type "oidc_tokens" are not expected here',
        id="unknown-block",
    ),
    pytest.param(
        "",
        "pubsub.tf",
        'resource "google_pubsub_topic" "main"',
        'resource "google_pubsub_topik" "main"',
        'does not support resource type "google_pubsub_topik"',
        id="unknown-resource-type",
    ),
    pytest.param(
        "",
        "main.tf",
        "  versioning {\n    enabled = true\n  }\n",
        "  versioning {\n    enabled = true\n  }\n  versioning {\n    enabled = true\n  }\n",
        'No more than 1 "versioning" blocks are allowed',
        id="too-many-blocks",
    ),
    pytest.param(
        "bootstrap",
        "triggers.tf",
        "approval_required = true",
        'approval_required = "always"',
        'Inappropriate value for attribute "approval_required": a bool is required',
        id="bootstrap-wrong-type",
    ),
    pytest.param(
        "bootstrap",
        "identities.tf",
        "google_service_account.apply.member\n}\n\n# A deployment",
        "google_service_account.apply.membr\n}\n\n# A deployment",
        "Unsupported attribute",
        id="bootstrap-unknown-attribute-reference",
    ),
]


@pytest.mark.parametrize(("module", "relative", "old", "new", "expected"), BREAKS)
def test_validate_fails_on_a_broken_configuration(
    tmp_path: Path, module: str, relative: str, old: str, new: str, expected: str
) -> None:
    path = f"{module}/{relative}" if module else relative
    workspace = Workspace(tmp_path, module, edit=_replace(path, old, new))
    result = workspace.validate() if workspace.init.ok else workspace.init
    assert not result.ok
    assert expected in " ".join(result.output.split()), result.output


def test_plan_fails_on_a_failed_variable_validation(root: Workspace) -> None:
    result = root.plan("environments/dev.tfvars", "retry_budget_s=0")
    assert not result.ok
    assert "Invalid value for variable" in result.output
    assert "The retry budget must be between 1 and 300 seconds." in result.output


def test_plan_fails_on_a_failed_precondition(root: Workspace) -> None:
    result = root.plan("environments/dev.tfvars", "poll_interval_minutes=4")
    assert not result.ok
    assert "Resource precondition failed" in result.output
    assert "must exceed poll-pending's timeout (240 s)" in " ".join(result.output.split())


def test_plan_fails_on_a_missing_variable(root: Workspace) -> None:
    result = root.run(
        "plan", "-input=false", "-no-color", "-lock=false", "-var=project_id=roit-connector-dev"
    )
    assert not result.ok
    assert "No value for required variable" in result.output


def test_apply_is_refused(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    result = workspace.run(
        "apply",
        "-input=false",
        "-no-color",
        "-auto-approve",
        "-var-file=environments/dev.tfvars",
        f"-var=source_archives_dir={workspace.archives}",
        "-target=google_project_service.resource_manager",
    )
    assert not result.ok
    assert "The stand-in provider cannot apply" in result.output


# --- the committed lock file pins the real provider -----------------------------------------------


@pytest.mark.parametrize("module", ["", "bootstrap"])
def test_committed_lock_file_pins_the_real_provider(tmp_path: Path, module: str) -> None:
    directory = TERRAFORM_DIR / module if module else TERRAFORM_DIR
    lock = directory / ".terraform.lock.hcl"
    assert lock.is_file(), f"{lock} is not committed"
    text = lock.read_text(encoding="utf-8")
    assert f'provider "{GOOGLE}"' in text
    assert 'version     = "6.50.0"' in text
    hashes = re.findall(r'"(h1|zh):([^"]+)"', text)
    assert sum(kind == "zh" for kind, _ in hashes) >= 10, "a zh: hash per platform package"
    assert any(kind == "h1" for kind, _ in hashes)

    # Terraform enforces it: the stand-in is not the package those hashes describe.
    def keep_lock(top: Path) -> None:
        (top / module / ".terraform.lock.hcl").write_text(text, encoding="utf-8")

    workspace = Workspace(tmp_path, module, edit=keep_lock)
    assert not workspace.init.ok
    assert "checksums previously recorded in the dependency lock file" in " ".join(
        workspace.init.output.split()
    )


# --- the schema ---------------------------------------------------------------------------------


def test_schema_is_for_the_pinned_provider(schema: dict) -> None:
    assert standin.provider_version(schema) == "6.50.0"
    for directory in (TERRAFORM_DIR, TERRAFORM_DIR / "modules" / "function", BOOTSTRAP_DIR):
        versions = (directory / "versions.tf").read_text(encoding="utf-8")
        assert '"hashicorp/google"' in versions
        assert 'version = ">= 6.50, < 7.0"' in versions, directory


def test_schema_holds_exactly_the_types_terraform_uses(schema: dict) -> None:
    used = standin.used_types()
    provider = schema["provider_schemas"][GOOGLE]
    assert set(provider["resource_schemas"]) == used["resource"]
    assert set(provider["data_source_schemas"]) == used["data"]
    assert "google_cloudbuild_trigger" in used["resource"], "the bootstrap is covered"


def test_schema_reads_the_bindings_right(schema: dict) -> None:
    """Facts of the provider's documentation, as the derived schema states them."""
    provider = schema["provider_schemas"][GOOGLE]
    resources = provider["resource_schemas"]
    subscription = resources["google_pubsub_subscription"]["block"]
    assert subscription["attributes"]["name"] == {"required": True, "type": "string"}
    assert subscription["attributes"]["effective_labels"] == {
        "computed": True,
        "type": ["map", "string"],
    }
    push = subscription["block_types"]["push_config"]
    assert (push["nesting_mode"], push["max_items"]) == ("list", 1)
    assert push["block"]["attributes"]["push_endpoint"]["required"]
    assert subscription["block_types"]["timeouts"]["nesting_mode"] == "single"
    function = resources["google_cloudfunctions2_function"]["block"]
    service = function["block_types"]["service_config"]["block"]
    assert service["attributes"]["uri"] == {"computed": True, "type": "string"}
    trigger = function["block_types"]["event_trigger"]["block"]
    assert trigger["block_types"]["event_filters"]["nesting_mode"] == "set"
    build = resources["google_cloudbuild_trigger"]["block"]["block_types"]["build"]
    assert "max_items" in build, "the bindings' buildAttribute is the build block"
    project = provider["data_source_schemas"]["google_project"]["block"]
    assert project["attributes"]["number"] == {"computed": True, "type": "string"}
    assert "project" in provider["provider"]["block"]["attributes"]


def test_committed_schema_regenerates_identically(schema: dict) -> None:
    try:
        wheel = standin.find_wheel()
    except standin.StandinError as error:
        tool_missing(f"{error}")
    regenerated = standin.generate_schema(wheel, standin.used_types())
    committed = standin.DEFAULT_SCHEMA.read_text(encoding="utf-8")
    assert standin.dump_schema(regenerated) == committed, (
        "tests/terraform/provider_schema.json is stale: run `make terraform-schema`"
    )
    assert schema["_source"]["package"] == wheel.name


# --- the stand-in's own behaviour -----------------------------------------------------------------


def test_plan_value_makes_unset_computed_values_unknown() -> None:
    block = {
        "attributes": {
            "name": {"required": True, "type": "string"},
            "id": {"computed": True, "optional": True, "type": "string"},
            "note": {"optional": True, "type": "string"},
        },
        "block_types": {
            "config": {
                "nesting_mode": "list",
                "block": {"attributes": {"uri": {"computed": True, "type": "string"}}},
            },
            "timeouts": {"nesting_mode": "single", "block": {"attributes": {}}},
        },
    }
    planned = standin.plan_value(
        block, {"name": "x", "id": None, "note": None, "config": [{"uri": None}], "timeouts": None}
    )
    assert planned == {
        "name": "x",
        "id": standin.UNKNOWN,
        "note": None,
        "config": [{"uri": standin.UNKNOWN}],
        "timeouts": None,
    }


def test_data_sources_answer_plausible_known_values(schema: dict) -> None:
    data = schema["provider_schemas"][GOOGLE]["data_source_schemas"]
    account = standin.read_data_source(
        "google_service_account",
        data["google_service_account"]["block"],
        {"account_id": "fn-x", "project": None},
        "my-project",
    )
    assert account["email"] == "fn-x@my-project.iam.gserviceaccount.com"
    assert account["member"] == "serviceAccount:fn-x@my-project.iam.gserviceaccount.com"
    assert account["name"] == f"projects/my-project/serviceAccounts/{account['email']}"
    project = standin.read_data_source(
        "google_project", data["google_project"]["block"], {"project_id": "p1"}, None
    )
    assert project["number"] == standin.STANDIN_PROJECT_NUMBER
    assert all(value is not standin.UNKNOWN for value in project.values())


def test_the_provider_refuses_to_run_outside_terraform() -> None:
    config = standin_config()
    executables = list((config.parent / "mirror").rglob("terraform-provider-google_v*"))
    assert len(executables) == 1, executables
    environment = {k: v for k, v in os.environ.items() if k != standin.MAGIC_COOKIE_KEY}
    result = subprocess.run(
        [str(executables[0])], capture_output=True, text=True, timeout=60, env=environment
    )
    assert result.returncode == 1
    assert "Terraform starts it" in result.stderr


def test_cli_configuration_takes_google_from_the_mirror_only() -> None:
    text = standin_config().read_text(encoding="utf-8")
    assert "filesystem_mirror" in text
    assert f'include = ["{GOOGLE}"]' in text
    assert "direct" not in text
    assert STANDIN_CONFIG.parent.is_relative_to(TERRAFORM_DIR.parent / "build")
    mirror = json.loads(re.search(r"path\s+=\s+(\".*\")", text).group(1))
    assert Path(mirror).is_dir()
