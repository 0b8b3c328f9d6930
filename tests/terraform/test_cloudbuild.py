"""cloudbuild.yaml (checks and plan, never apply) and cloudbuild-apply.yaml (plan and apply of
main), and the triggers of terraform/bootstrap that run them."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from tfhelpers import BOOTSTRAP_DIR, REPO_ROOT, Config, block

from devstack.testing import tool_missing


pytestmark = pytest.mark.integration

# PyYAML is not a project dependency; the checkov tool venv (make terraform-tools) has it.
CHECKOV_PYTHON = REPO_ROOT / ".venv-checkov" / "bin" / "python"


def _load(name: str) -> dict:
    if not CHECKOV_PYTHON.exists():
        tool_missing("the checkov venv (it carries PyYAML) is missing: run `make terraform-tools`")
    result = subprocess.run(
        [
            str(CHECKOV_PYTHON),
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
            str(REPO_ROOT / name),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def plan_build() -> dict:
    return _load("cloudbuild.yaml")


@pytest.fixture(scope="module")
def apply_build() -> dict:
    return _load("cloudbuild-apply.yaml")


def _resolve(text: str, substitutions: dict) -> str:
    return re.sub(r"\$\{(_\w+)\}", lambda m: substitutions[m.group(1)], text)


def _ids(build: dict) -> list[str]:
    return [step["id"] for step in build["steps"]]


def _step(build: dict, step_id: str) -> dict:
    step: dict = build["steps"][_ids(build).index(step_id)]
    return step


def _text(step: dict) -> str:
    return " ".join([step.get("entrypoint", ""), *step.get("args", [])])


@pytest.mark.parametrize("name", ["cloudbuild.yaml", "cloudbuild-apply.yaml"])
def test_builder_images_are_pinned(name: str) -> None:
    build = _load(name)
    substitutions = build["substitutions"]
    for step in build["steps"]:
        image = _resolve(step["name"], substitutions)
        tag = image.rsplit(":", 1)[-1]
        assert ":" in image and re.match(r"\d+\.\d+", tag), f"{step['id']}: unpinned {image}"
    assert build["options"]["logging"] == "CLOUD_LOGGING_ONLY", "user-specified build accounts"


def test_the_cloud_cli_image_comes_from_the_projects_copy(plan_build: dict) -> None:
    """Google deletes its CLI images a year after release: the triggers point _CI_IMAGES at the
    project's ci-images repository, which keeps the pinned version."""
    substitutions = plan_build["substitutions"]
    cli_steps = [s for s in plan_build["steps"] if "google-cloud-cli" in s["name"]]
    assert cli_steps
    for step in cli_steps:
        assert step["name"] == "${_CI_IMAGES}/google-cloud-cli:${_CLI_VERSION}-emulators"
    assert re.fullmatch(r"\d+\.\d+\.\d+", substitutions["_CLI_VERSION"])
    bootstrap = Config(BOOTSTRAP_DIR)
    assert bootstrap.locals["substitutions"]["_CI_IMAGES"] == (
        "${var.region}-docker.pkg.dev/${var.project_id}/"
        "${google_artifact_registry_repository.ci_images.repository_id}"
    )
    readme = (BOOTSTRAP_DIR / "README.md").read_text(encoding="utf-8")
    assert f"google-cloud-cli:{substitutions['_CLI_VERSION']}-emulators" in readme
    assert (
        _load("cloudbuild-apply.yaml")["substitutions"]["_CLI_VERSION"]
        == (substitutions["_CLI_VERSION"])
    )


def test_plan_pipeline_checks_tests_and_plans_but_never_applies(plan_build: dict) -> None:
    expected = [
        "lint",
        "typecheck",
        "test",
        "package",
        "terraform-fmt",
        "terraform-init",
        "terraform-validate",
        "terraform-plan",
    ]
    ids = _ids(plan_build)
    assert [i for i in ids if i in expected] == expected
    test = _step(plan_build, "test")
    assert "make test" in _text(test) and "CI=true" in test["env"]
    assert "/workspace/.tools/bin" in _text(test), "terraform on PATH for the offline plan tests"
    assert _step(plan_build, "terraform-fmt")["args"][:3] == ["fmt", "-check", "-recursive"]
    plan = _step(plan_build, "terraform-plan")["args"]
    assert "-var-file=environments/${_ENV}.tfvars" in plan
    assert "-lock=false" in plan, "the read-only identity cannot take the state lock"
    for step in plan_build["steps"]:
        assert "apply" not in _text(step), f"{step['id']} applies"


def test_apply_pipeline_applies_its_own_plan_on_main_only(apply_build: dict) -> None:
    ids = _ids(apply_build)
    assert ids[-2:] == ["terraform-plan", "terraform-apply"]
    assert ids[:4] == ["tfvars-filled-in", "package", "terraform-init", "terraform-validate"]
    plan = _step(apply_build, "terraform-plan")["args"]
    assert "-out=tfplan" in plan and "-lock=false" not in plan
    apply = _text(_step(apply_build, "terraform-apply"))
    assert '[ "$BRANCH_NAME" != "${_MAIN_BRANCH}" ]' in apply and "exit 1" in apply
    assert "terraform apply -input=false tfplan" in apply
    assert "-auto-approve" not in apply


def test_triggers_run_plans_as_the_reader_and_applies_as_the_deployer_after_approval() -> None:
    bootstrap = Config(BOOTSTRAP_DIR)
    plan = bootstrap.resource("google_cloudbuild_trigger", "plan")
    assert plan["filename"] == "cloudbuild.yaml"
    assert plan["service_account"] == "${google_service_account.plan.id}"
    assert "approval_config" not in plan
    triggers = bootstrap.locals["plan_triggers"]
    assert {name: (t["pull_request"], t["invert_regex"]) for name, t in triggers.items()} == {
        "roit-tf-plan-pull-request": (True, False),
        "roit-tf-plan-branch": (False, True),
        "roit-tf-plan-main": (False, False),
    }
    apply = bootstrap.resource("google_cloudbuild_trigger", "apply")
    assert apply["filename"] == "cloudbuild-apply.yaml"
    assert apply["service_account"] == "${google_service_account.apply.id}"
    assert block(apply, "approval_config") == {"approval_required": True}
    push = block(block(apply, "github"), "push")
    assert push == {"branch": "${local.main_branch_regex}"}
    assert bootstrap.locals["main_branch_regex"] == "^${var.main_branch}$"
    for name in ("_ENV", "_TF_STATE_BUCKET", "_CI_IMAGES", "_MAIN_BRANCH"):
        assert name in bootstrap.locals["substitutions"], name
        assert "${" + name + "}" in (REPO_ROOT / "cloudbuild-apply.yaml").read_text()


@pytest.mark.parametrize("name", ["cloudbuild.yaml", "cloudbuild-apply.yaml"])
def test_example_tfvars_are_refused_before_anything_is_planned(name: str, tmp_path) -> None:
    build = _load(name)
    ids = _ids(build)
    check = _step(build, "tfvars-filled-in")
    assert _text(check) == "python3 scripts/check_tfvars.py terraform/environments/${_ENV}.tfvars"
    assert ids.index("tfvars-filled-in") < ids.index("terraform-plan")
    script = [sys.executable, str(REPO_ROOT / "scripts" / "check_tfvars.py")]
    committed = sorted((REPO_ROOT / "terraform").glob("**/environments/*.tfvars"))
    assert len(committed) == 4
    for path in committed:  # the repository's own are examples: refused, each line named
        result = subprocess.run([*script, str(path)], capture_output=True, text=True, check=False)
        assert result.returncode == 1 and f"{path}:" in result.stderr, result.stderr
    filled = tmp_path / "dev.tfvars"  # the same file with a deployment's own values
    text = (REPO_ROOT / "terraform" / "environments" / "prod.tfvars").read_text(encoding="utf-8")
    for old, new in (
        ("example.com", "acme.com.br"),
        ("00000000-0000-0000-0000-000000000000", "5f0c2a4e-8a0b-4f7e-9d7c-1b2e3f4a5b6c"),
        ("notificationChannels/1234567890", "notificationChannels/4242"),
        ("erp-project-prod", "acme-erp-prod"),
    ):
        text = text.replace(old, new)
    filled.write_text(text, encoding="utf-8")
    result = subprocess.run([*script, str(filled)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
