"""Helpers of the Terraform tests: loading scripts/, parsing terraform/, running Terraform with the
schema-only stand-in provider (scripts/terraform_standin.py), reading plans."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.testing import require_tool, tool_missing

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"
BOOTSTRAP_DIR = TERRAFORM_DIR / "bootstrap"
STANDIN_CONFIG = REPO_ROOT / "build" / "terraform-standin" / "terraformrc"


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` (scripts/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def terraform_binary() -> str:
    """The terraform CLI, or a skip (a failure under CI=true) saying what to install."""
    return require_tool("terraform", "the Terraform CLI (>= 1.9, CI uses 1.11) on PATH")


def standin_config() -> Path:
    """The CLI configuration that installs the stand-in google provider (make terraform-tools)."""
    terraform_binary()
    if not STANDIN_CONFIG.is_file():
        tool_missing(
            "the stand-in google provider is not installed: run `make terraform-tools` "
            "(build/terraform-standin)"
        )
    return STANDIN_CONFIG


# ---------------------------------------------------------------------------------------------
# Reading HCL (python-hcl2 >= 5 keeps quotes around labels and strings, and marks blocks)


def unquote(value: Any) -> Any:
    """A parsed HCL string literal without its quotes (other values unchanged)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def parse_file(path: Path) -> dict[str, Any]:
    """One ``.tf`` file parsed by python-hcl2."""
    import hcl2

    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def labelled(
    blocks: list[dict[str, Any]], depth: int
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """(labels, body) of blocks with ``depth`` labels (resource: 2, variable: 1)."""
    for item in blocks:
        yield from _unwrap(item, depth, [])


def _unwrap(
    item: dict[str, Any], depth: int, labels: list[str]
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    if depth == 0:
        yield labels, item
        return
    for key, value in item.items():
        if not key.startswith("__"):
            yield from _unwrap(value, depth - 1, [*labels, unquote(key)])


def plain(value: Any) -> Any:
    """A parsed HCL value with string literals and keys unquoted, recursively."""
    if isinstance(value, dict):
        return {unquote(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return unquote(value)


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a parsed body (fails if absent or repeated)."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one '{name}' block"
    result: dict[str, Any] = blocks[0]
    return result


class Config:
    """A root module, parsed: resources, data sources, locals, variables and module calls."""

    def __init__(self, directory: Path = TERRAFORM_DIR) -> None:
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, dict[str, Any]] = {}
        self.text = ""
        for path in sorted(directory.glob("*.tf")):
            self.text += path.read_text(encoding="utf-8")
            parsed = parse_file(path)
            for (type_name, name), body in labelled(parsed.get("resource", []), 2):
                self.resources[(type_name, name)] = plain(body)
            for (type_name, name), body in labelled(parsed.get("data", []), 2):
                self.data[(type_name, name)] = plain(body)
            for item in parsed.get("locals", []):
                self.locals.update(plain(item))
            for (name,), body in labelled(parsed.get("variable", []), 1):
                self.variables[name] = plain(body)
            for (name,), body in labelled(parsed.get("module", []), 1):
                self.modules[name] = plain(body)

    def resource(self, type_name: str, name: str) -> dict[str, Any]:
        return self.resources[(type_name, name)]

    def default(self, variable: str) -> Any:
        return self.variables[variable]["default"]

    def deployments(self) -> dict[str, dict[str, Any]]:
        """local.deployments as Terraform computes it: each of local.deployment_settings merged
        over local.deployment_defaults (fails if functions.tf computes it another way)."""
        expression = self.locals["deployments"]
        assert expression == (
            "${{for name, settings in local.deployment_settings : "
            "name => merge(local.deployment_defaults, settings)}}"
        ), f"local.deployments is no longer the merge these tests model: {expression}"
        defaults = self.locals["deployment_defaults"]
        return {
            name: {**defaults, **settings}
            for name, settings in self.locals["deployment_settings"].items()
        }


# ---------------------------------------------------------------------------------------------
# Running Terraform offline with the stand-in provider


@dataclass
class Outcome:
    """One terraform command's result."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CHECKPOINT"))}
    environment.update(
        TF_CLI_CONFIG_FILE=str(standin_config()),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    return environment


class Workspace:
    """A copy of terraform/ (without .terraform folders and lock files) in which one root module
    (``terraform/`` or ``terraform/bootstrap``) is initialised with the stand-in provider.

    The copy's backend is overridden with a local one (a ``*_override.tf`` file), and dummy source
    archives stand in for scripts/package_functions.py's zips. ``edit`` changes the copy first
    (e.g. to break it on purpose).
    """

    def __init__(
        self,
        scratch: Path,
        module: str = "",
        edit: Callable[[Path], None] | None = None,
    ) -> None:
        self.terraform = terraform_binary()
        self.environment = _environment()
        self.top = scratch / "terraform"
        shutil.copytree(
            TERRAFORM_DIR,
            self.top,
            ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
        )
        self.directory = self.top / module if module else self.top
        self.archives = scratch / "archives"
        self.archives.mkdir()
        for source in load_script("package_functions").discover_functions():
            (self.archives / f"{source}.zip").write_bytes(f"stand-in archive of {source}".encode())
        (self.directory / "zz_test_backend_override.tf").write_text(
            'terraform {\n  backend "local" {}\n}\n', encoding="utf-8"
        )
        if edit is not None:
            edit(self.top)
        self.init = self.run("init", "-input=false", "-no-color")

    def run(self, *args: str, timeout: float = 180) -> Outcome:
        result = subprocess.run(
            [self.terraform, *args],
            cwd=self.directory,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Outcome(result.returncode, result.stdout, result.stderr)

    def validate(self) -> Outcome:
        return self.run("validate", "-no-color")

    def plan(self, var_file: str, *variables: str, out: Path | None = None) -> Outcome:
        """``terraform plan`` of ``environments/<var_file>`` with ``-var`` overrides."""
        args = ["plan", "-input=false", "-no-color", "-lock=false", f"-var-file={var_file}"]
        if self.directory == self.top:
            args.append(f"-var=source_archives_dir={self.archives}")
        args += [f"-var={v}" for v in variables]
        if out is not None:
            args.append(f"-out={out}")
        return self.run(*args)

    def plan_json(self, var_file: str, *variables: str) -> Plan:
        """The plan of ``var_file`` as ``terraform show -json`` gives it (fails if it fails)."""
        out = self.directory / f"plan-{abs(hash((var_file, variables)))}.tfplan"
        planned = self.plan(var_file, *variables, out=out)
        assert planned.ok, planned.output[-4000:]
        shown = self.run("show", "-json", "-no-color", out.name)
        assert shown.ok, shown.output[-2000:]
        return Plan(json.loads(shown.stdout))

    def plan_many(self, cases: list[tuple[str, ...]], var_file: str) -> list[Outcome]:
        """Several plans at once (each a tuple of ``-var`` values), as many as there are CPUs."""
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            return list(pool.map(lambda variables: self.plan(var_file, *variables), cases))


class Plan:
    """A plan read through ``terraform show -json``."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.changes = {change["address"]: change for change in document["resource_changes"]}

    def after(self, address: str) -> dict[str, Any]:
        after: dict[str, Any] = self.changes[address]["change"]["after"]
        return after

    def unknown(self, address: str) -> dict[str, Any]:
        unknown: dict[str, Any] = self.changes[address]["change"]["after_unknown"]
        return unknown

    def of_type(self, type_name: str) -> dict[str, dict[str, Any]]:
        """address -> planned values of every resource of ``type_name`` (data sources excluded)."""
        return {
            address: change["change"]["after"]
            for address, change in self.changes.items()
            if change["type"] == type_name and change["mode"] == "managed"
        }

    def data_sources(self) -> dict[str, dict[str, Any]]:
        """address -> values of the data sources read during the plan."""
        found: dict[str, dict[str, Any]] = {}

        def walk(module: dict[str, Any]) -> None:
            for resource in module.get("resources", []):
                if resource["mode"] == "data":
                    found[resource["address"]] = resource["values"]
            for child in module.get("child_modules", []):
                walk(child)

        walk(self.document.get("prior_state", {}).get("values", {}).get("root_module", {}))
        return found

    def output(self, name: str) -> Any:
        return self.document["planned_values"]["outputs"][name].get("value")

    def function_environment(self, deployment: str) -> tuple[dict[str, str], set[str]]:
        """A deployment's planned environment: known values, and the names known only at apply."""
        address = f'module.function["{deployment}"].google_cloudfunctions2_function.main'
        service = self.after(address)["service_config"][0]
        unknown = self.unknown(address).get("service_config", [{}])[0]
        later = unknown.get("environment_variables", {})
        return dict(service["environment_variables"]), {k for k, v in later.items() if v}


# ---------------------------------------------------------------------------------------------
# The code's side: which settings class each function reads, and whether an environment loads


def settings_class_of(source: str) -> type:
    """The settings class ``functions/<source>/main.py`` builds its Runtime with."""
    import importlib
    import re

    text = (REPO_ROOT / "functions" / source / "main.py").read_text(encoding="utf-8")
    match = re.search(r"Runtime\((\w+)\)", text)
    assert match, f"functions/{source}/main.py builds no Runtime(<Settings>)"
    where = re.search(rf"^from (shared\.[\w.]+) import .*\b{match.group(1)}\b", text, re.M)
    assert where, f"functions/{source}/main.py does not import {match.group(1)} from shared"
    cls: type = getattr(importlib.import_module(where.group(1)), match.group(1))
    return cls


def code_loads(cls: type, environment: dict[str, str]) -> str | None:
    """None if the code's settings load from ``environment`` (and nothing else), else why not."""
    from shared.core.errors import ConfigurationError
    from shared.core.settings import load_settings

    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith("ROIT_") or n.startswith("GOOGLE_")]:
            del os.environ[name]
        os.environ.update(environment)
        load_settings(cls)
    except ConfigurationError as error:
        return str(error)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return None


def deployable_environment(plan: Plan, deployment: str) -> dict[str, str]:
    """A deployment's planned environment, with the values known only at apply (topic ids, which
    Terraform writes as projects/<project>/topics/<name>) filled in with such an id."""
    environment, later = plan.function_environment(deployment)
    project = environment["ROIT_GCP_PROJECT"]
    for name in later:
        assert name.endswith("_TOPIC"), f"{deployment}: {name} is known only at apply"
        environment[name] = f"projects/{project}/topics/{name.lower().replace('_', '-')}"
    return environment
