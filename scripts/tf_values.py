"""What Terraform deploys for each ROIT_ setting, read from terraform/'s own files (python-hcl2).

Each deployment's environment is terraform/functions.tf's ``local.common_environment`` merged
with its ``environment`` in ``local.deployment_settings`` and the secrets it reads
(``local.secret_delivery``, both ways), plus what terraform/modules/function
sets from the sizing (``ROIT_FUNCTION_TIMEOUT_S`` from ``timeout_s``). Every expression is turned
into words here; one this module does not know fails the generator, so a new kind cannot slip
into the docs unread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

__all__ = ["Deployment", "deployments"]

_VAR = re.compile(r"^\$\{(?:tostring\()?var\.(\w+)\)?\}$")
_TOKEN = re.compile(r"^\$\{(?:jsonencode\()?var\.roit_token\.(\w+)\)?\}$")
_TOPIC = re.compile(r'^\$\{google_pubsub_topic\.main\["([\w-]+)"\]\.id\}$')
_SECRET = re.compile(r'^\$\{google_secret_manager_secret\.main\["(\w+)"\]\.secret_id\}$')
_OPTIONAL = re.compile(r'(\w+) = optional\([^,]+, ("[^"]*"|\{\})\)')
_SIZING = re.compile(r"^\$\{tostring\(var\.(\w+)\)\}$")


@dataclass(frozen=True)
class Deployment:
    """One deployment: its name, the function folder it runs, and its environment in words."""

    name: str
    function: str
    environment: dict[str, str]


def _unquote(value: Any) -> Any:
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def _locals(path: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in _load(path).get("locals", []):
        merged.update({k: v for k, v in block.items() if not k.startswith("__")})
    return merged


def _variables(path: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for item in _load(path).get("variable", []):
        for name, body in item.items():
            found[_unquote(name)] = body
    return found


def _literal(value: Any) -> str:
    if isinstance(value, dict):
        inner = ", ".join(f'"{_unquote(k)}":"{_unquote(v)}"' for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(_unquote(value))


class _Reader:
    def __init__(self, root: Path) -> None:
        self.variables = _variables(root / "variables.tf")
        secrets = _locals(root / "secrets.tf")
        self.secrets = {k: _unquote(v) for k, v in secrets["secrets"].items()}
        self.secret_readers = {
            k: [_unquote(name) for name in v] for k, v in secrets["secret_readers"].items()
        }
        self.token_defaults = {
            name: _unquote(default)
            for name, default in _OPTIONAL.findall(self.variables["roit_token"]["type"])
        }

    def variable(self, name: str) -> str:
        body = self.variables[name]
        if "default" not in body or body["default"] is None:
            return f"your `{name}` (required, per environment)"
        return f"`{_literal(body['default'])}` (`{name}`)"

    def secret_words(self, deployment: str, delivery: dict[str, Any]) -> dict[str, str]:
        """The secret settings of one deployment: a mounted file by default, a Secret Manager
        name with ``mount_secrets = false`` (functions.tf's ``local.secret_delivery``)."""
        words = {}
        for secret, readers in self.secret_readers.items():
            if deployment not in readers:
                continue
            name = self.secrets[secret]
            for key, value in delivery[secret]["mounted"].items():
                words[key] = f"file `{_unquote(value)}`, mounted from secret `{name}` (the default)"
            for key, value in delivery[secret]["by_name"].items():
                words[key] = f"{self.words(value)} (with `mount_secrets = false`)"
        return words

    def words(self, expression: Any) -> str:
        """One environment value of functions.tf, in words."""
        if not isinstance(expression, str) or not expression.startswith("${"):
            return f"`{_literal(expression)}`"
        if match := _TOKEN.match(expression):
            field = match.group(1)
            return f"`{self.token_defaults[field]}` (`roit_token.{field}`)"
        if match := _VAR.match(expression):
            return self.variable(match.group(1))
        if match := _TOPIC.match(expression):
            return f"topic `{match.group(1)}` (`projects/P/topics/{match.group(1)}`)"
        if match := _SECRET.match(expression):
            return f"secret `{self.secrets[match.group(1)]}`"
        raise ValueError(f"scripts/tf_values.py cannot put this expression in words: {expression}")


def _idempotency(root: Path) -> tuple[set[str], dict[str, str]]:
    """idempotency.tf: the deployments given the store's settings, and those settings in words
    (the database and collection are its own locals)."""
    store = _locals(root / "idempotency.tf")
    users = set(re.findall(r'"([\w-]+)"', store["idempotency_deployments"]))
    named = {
        "${google_firestore_database.main.name}": store["idempotency_database"],
        "${local.idempotency_collection}": store["idempotency_collection"],
    }
    words = {
        key: f"`{_unquote(named.get(value, value))}` (terraform/idempotency.tf)"
        for key, value in store["idempotency_environment"].items()
    }
    return users, words


def deployments(root: Path) -> list[Deployment]:
    """Every deployment of ``root`` (the terraform/ folder) with its environment in words."""
    reader = _Reader(root)
    functions = _locals(root / "functions.tf")
    sizing = _locals(root / "modules" / "function" / "main.tf")["sizing_environment"]
    common = functions["common_environment"]
    defaults = functions["deployment_defaults"]
    store_users, store_environment = _idempotency(root)
    result = []
    for name, settings in functions["deployment_settings"].items():
        merged = {**defaults, **settings}
        environment = {key: reader.words(value) for key, value in common.items()}
        if _unquote(name) in store_users:
            environment.update(store_environment)
        environment.update(
            {key: reader.words(value) for key, value in settings.get("environment", {}).items()}
        )
        environment.update(reader.secret_words(_unquote(name), functions["secret_delivery"]))
        for key, value in sizing.items():
            if not key.startswith("ROIT_"):
                continue
            match = _SIZING.match(value)
            if match is None:
                raise ValueError(f"modules/function sets {key} from an unknown expression")
            environment[key] = f"`{merged[match.group(1)]}` (`{match.group(1)}`)"
        result.append(Deployment(_unquote(name), _unquote(merged["source"]), environment))
    return result
