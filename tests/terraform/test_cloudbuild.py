"""cloudbuild.yaml: every stage present in order, pinned images, apply only on main."""

from __future__ import annotations

import json
import re
import subprocess

from tfhelpers import REPO_ROOT

from devstack.testing import tool_missing

# PyYAML is not a project dependency; the checkov tool venv (make terraform-tools) has it.
CHECKOV_PYTHON = REPO_ROOT / ".venv-checkov" / "bin" / "python"


def _load() -> dict:
    if not CHECKOV_PYTHON.exists():
        tool_missing("the checkov venv (it carries PyYAML) is missing: run `make terraform-tools`")
    result = subprocess.run(
        [
            str(CHECKOV_PYTHON),
            "-c",
            "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)",
            str(REPO_ROOT / "cloudbuild.yaml"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout)


def _resolve(image: str, substitutions: dict) -> str:
    return re.sub(r"\$\{(_\w+)\}", lambda m: substitutions[m.group(1)], image)


def test_cloudbuild_stages_images_and_apply_condition() -> None:
    build = _load()
    steps = build["steps"]
    ids = [step["id"] for step in steps]
    expected = [
        "lint",
        "typecheck",
        "test",
        "package",
        "terraform-fmt",
        "terraform-init",
        "terraform-validate",
        "terraform-plan",
        "terraform-apply",
    ]
    assert [i for i in ids if i in expected] == expected
    for step in steps:
        image = _resolve(step["name"], build["substitutions"])
        tag = image.rsplit(":", 1)[-1]
        assert ":" in image and re.match(r"\d+\.\d+", tag), f"{step['id']}: unpinned {image}"
    test = steps[ids.index("test")]
    assert "make test" in " ".join(test["args"]) and "CI=true" in test["env"]
    assert build["substitutions"]["_CLI_IMAGE"].endswith("-emulators")
    assert steps[ids.index("terraform-fmt")]["args"][:3] == ["fmt", "-check", "-recursive"]
    apply = " ".join(steps[ids.index("terraform-apply")]["args"])
    assert '[ "$BRANCH_NAME" = "main" ]' in apply and "terraform apply" in apply
    for step in steps:
        if step["id"] != "terraform-apply":
            assert "apply" not in step.get("args", [])
    plan = steps[ids.index("terraform-plan")]["args"]
    assert "-var-file=environments/${_ENV}.tfvars" in plan
