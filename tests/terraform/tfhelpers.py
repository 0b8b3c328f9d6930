"""Helpers of the Terraform tests: loading scripts/, parsing terraform/, finding tools."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from devstack.testing import require_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "terraform"


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


class Config:
    """The root module, parsed: resources, locals, variables and module calls by name."""

    def __init__(self, directory: Path = TERRAFORM_DIR) -> None:
        schema = load_script("terraform_schema")
        self.resources: dict[tuple[str, str], dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, dict[str, Any]] = {}
        self.text = ""
        for path in sorted(directory.glob("*.tf")):
            self.text += path.read_text(encoding="utf-8")
            parsed = schema.parse_file(path)
            for (type_name, name), body in schema.labelled(parsed.get("resource", []), 2):
                self.resources[(type_name, name)] = plain(body)
            for block in parsed.get("locals", []):
                self.locals.update(plain(block))
            for (name,), body in schema.labelled(parsed.get("variable", []), 1):
                self.variables[name] = plain(body)
            for (name,), body in schema.labelled(parsed.get("module", []), 1):
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


def plain(value: Any) -> Any:
    """A parsed HCL value with string literals and keys unquoted, recursively."""
    if isinstance(value, dict):
        return {unquote(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return unquote(value)


def unquote(value: Any) -> Any:
    """A parsed HCL string literal without its quotes (other values unchanged)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The single nested block ``name`` of a parsed body (fails if absent or repeated)."""
    blocks = body.get(name)
    assert isinstance(blocks, list) and len(blocks) == 1, f"expected one '{name}' block"
    result: dict[str, Any] = blocks[0]
    return result
