"""Write the generated documentation: docs/configuration.md and docs/schemas/*.json.

    python scripts/gen_docs.py           # write them (make docs-gen)
    python scripts/gen_docs.py --check   # exit 1 naming each file that is stale

The configuration reference comes from the settings models (names, types, limits, defaults),
from terraform/ (the value each deployment gets, read with python-hcl2) and from
scripts/settings_text.py (what each setting means); the message schemas from the models the
functions validate with. tests/docs/test_generated_docs.py fails when a written file differs
from what this would write now.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from settings_text import MEANING  # noqa: E402
from tf_values import deployments  # noqa: E402

# ------------------------------------------------------------------ where the models live
# (module, class): the only place this script names the code's modules.
SETTINGS_MODULE = "shared.core.settings"  # ENV_PREFIX and RoitSettings, what every function reads
SETTINGS = {  # class -> the module of the capability that owns it
    "RoitSettings": SETTINGS_MODULE,
    "PollerSettings": "shared.poll.settings",
    "PushSettings": "shared.push.settings",
    "DeliverySettings": "shared.push.settings",
    "ReprocessSettings": "shared.entry.settings",
}
SCHEMAS: dict[str, tuple[str, str, str]] = {  # file under docs/schemas -> (module, class, what)
    "roit-pending.data.json": (
        "shared.roit.models",
        "RequestRecord",
        "A roit-pending message's data: the pending entity exactly as ROIT sent it. The fields "
        "the connector routes by are listed; every other field ROIT sends is kept.",
    ),
    "roit-status.data.json": (
        "shared.roit.models",
        "StatusUpdate",
        "A roit-status message's data: the ERP's result for one request, sent on to ROIT.",
    ),
    "roit-deliveries.data.json": (
        "shared.roit.models",
        "DeliveryMessage",
        "A roit-deliveries message's data: master or transactional data for ROIT; each item of "
        "data is sent on as it is.",
    ),
    "poll-request.json": ("shared.poll.targets", "PollRequest", "The body of a poll_pending call."),
    "reprocess-request.json": (
        "shared.roit.models",
        "ReprocessInput",
        "The body of a reprocess call (team or partner webhook).",
    ),
    "attachments-request.json": (
        "shared.roit.models",
        "AttachmentsInput",
        "The body of a get_attachments call.",
    ),
}
PENDING_ATTRIBUTES = ("shared.poll.triage", "pending_attributes")  # builds a pending message's
PENDING_ITEM = ("shared.roit.models", "PendingItem")
ATTRIBUTE_BYTES = ("shared.core.pubsub", "MAX_ATTRIBUTE_BYTES")
MAX_TARGETS = ("shared.poll.targets", "MAX_TARGETS")  # the poll targets' limit (not a Field bound)
# --------------------------------------------------------------------------------------

CONFIGURATION = REPO / "docs" / "configuration.md"
SCHEMA_DIR = REPO / "docs" / "schemas"
_RUNTIME = re.compile(r"Runtime\((\w+)\)")


def _import(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def _functions() -> dict[str, str]:
    """Each function folder -> the settings class it reads (``Runtime(Class)`` in main.py)."""
    found = {}
    for main in sorted((REPO / "functions").glob("*/main.py")):
        match = _RUNTIME.search(main.read_text(encoding="utf-8"))
        if match:
            found[main.parent.name] = match.group(1)
    return found


def _type(annotation: Any, field: Any) -> str:
    text = getattr(annotation, "__name__", str(annotation))
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    if len(args) == 1 and not text.startswith(("list", "dict")):
        return _type(args[0], field)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    words = {"str": "text", "int": "integer", "float": "number", "SecretStr": "text (secret)"}
    if text.startswith("dict"):
        return "JSON object"
    if text.startswith("list") and getattr(annotation, "__args__", ()) == (str,):
        return "comma- or space-separated list of text"
    if text.startswith("list"):
        return f"comma list of at most {_import(*MAX_TARGETS)} `ENTITY[:TYPE]`"
    kind = words.get(text, text)
    bounds = []
    for item in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            value = getattr(item, attr, None)
            if value is not None:
                bounds.append(f"{sign} {value:,}" if isinstance(value, int) else f"{sign} {value}")
    return kind + (f", {' and '.join(bounds)}" if bounds else "")


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "—"
    if isinstance(value, Enum):
        return f"`{value.value}`"
    if isinstance(value, dict):
        return f"`{json.dumps(value)}`"
    if value == []:
        return "— (none)"
    if isinstance(value, list):  # poll targets: (entity, type) pairs
        return "`" + ",".join(e.value + (f":{t}" if t else "") for e, t in value) + "`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value:,}`" if isinstance(value, int) and value >= 100_000 else f"`{value}`"


def _deployed(variable: str, users: list[str], deployed: list[Any]) -> str:
    values: dict[str, list[str]] = {}
    for deployment in deployed:
        if deployment.function in users:
            value = deployment.environment.get(variable, "not set (the code's default)")
            values.setdefault(value, []).append(deployment.name)
    if len(values) == 1:
        return next(iter(values))
    parts = sorted(values.items(), key=lambda item: len(item[1]))
    return "; ".join(f"{', '.join(names)}: {value}" for value, names in parts)


def configuration() -> str:
    """docs/configuration.md, as it should be now."""
    module = importlib.import_module(SETTINGS_MODULE)
    prefix: str = module.ENV_PREFIX
    classes = {
        name: getattr(importlib.import_module(where), name) for name, where in SETTINGS.items()
    }
    functions = _functions()
    deployed = deployments(REPO / "terraform")
    rows: dict[str, list[str]] = {}
    order: list[tuple[str, str]] = []
    for cls in classes.values():
        for name, field in cls.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            if variable in rows:
                continue
            own = {f: classes[c].model_fields.get(name) for f, c in functions.items()}
            users = [f for f, own_field in own.items() if own_field is not None]
            base = _default(field)
            others = [f"{f}: {_default(own[f])}" for f in users if _default(own[f]) != base]
            default = base + (f" ({'; '.join(others)})" if others else "")
            who = "all" if len(users) == len(functions) else ", ".join(users)
            rows[variable] = [
                f"`{variable}`",
                _type(field.annotation, field),
                default,
                _deployed(variable, users, deployed),
                MEANING.get(variable, "**undocumented**"),
            ]
            order.append((who, variable))
    lines = [
        "# Configuration reference",
        "",
        "<!-- GENERATED by scripts/gen_docs.py (make docs-gen) from the settings models and",
        "     terraform/: edit those (or scripts/settings_text.py), never this file. -->",
        "",
        f"Every function reads environment variables with the prefix `{prefix}`, validated once",
        "at cold start: a missing or invalid one stops the instance with an error naming the",
        "variable (never its value). *Default* is the code's; *Terraform deploys* is what",
        "`terraform/` sets on each deployment (its variable named, with that variable's default;",
        "`environments/*.tfvars` may override it). Secrets are never values here: Terraform",
        "passes the secrets' names, and their values are added out of band.",
    ]
    groups: dict[str, list[str]] = {}
    for who, variable in order:
        groups.setdefault(who, []).append(variable)
    for who, variables in groups.items():
        title = "Every function" if who == "all" else who.replace("_", "\\_")
        lines += ["", f"## {title}", ""]
        lines += [
            "| variable | type | default | Terraform deploys | meaning |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(rows[v]) + " |" for v in variables]
    return "\n".join(lines) + "\n"


def _attributes_schema(title: str, properties: dict[str, Any], required: list[str]) -> Any:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": {"type": "string"},
    }


def schemas() -> dict[str, str]:
    """docs/schemas/*.json, as they should be now (file name -> text)."""
    limit: int = _import(*ATTRIBUTE_BYTES)
    written: dict[str, Any] = {}
    for file, (module, name, what) in SCHEMAS.items():
        schema = _import(module, name).model_json_schema(by_alias=True, mode="validation")
        schema["description"] = what  # not the class's docstring, which speaks of the code
        if name == "RequestRecord":  # a pending item is read only with its requestId
            schema["required"] = ["requestId"]
        written[file] = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    item = _import(*PENDING_ITEM).from_raw(
        {k: "x" for k in ("requestId", "entity", "type", "reference", "integrationId")}
    )
    keys = _import(*PENDING_ATTRIBUTES)(item, integration_id="x", correlation_id="x")
    text = {"type": "string", "description": f"at most {limit} bytes of UTF-8 (longer is cut)"}
    always = ["requestId", "integrationId", "correlationId"]
    written["roit-pending.attributes.json"] = _attributes_schema(
        "Attributes of a roit-pending message", {k: text for k in keys}, always
    )
    optional = {"correlationId": {**text, "description": "carried into the function's logs"}}
    for topic in ("roit-status", "roit-deliveries"):
        written[f"{topic}.attributes.json"] = _attributes_schema(
            f"Attributes of a {topic} message (any others are kept on a dead letter)", optional, []
        )
    return {f: json.dumps(s, indent=2, ensure_ascii=False) + "\n" for f, s in written.items()}


def expected() -> dict[Path, str]:
    """Every generated file and its text."""
    files = {CONFIGURATION: configuration()}
    files.update({SCHEMA_DIR / name: text for name, text in schemas().items()})
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a written file is stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in expected().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(REPO))
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "stale (run make docs-gen)" if args.check else "written"
    for path in stale:
        print(f"{path}: {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
