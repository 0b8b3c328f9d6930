"""Check terraform/ offline against the google provider's schema.

``terraform validate`` needs the provider binary, which this machine cannot download; this does
the part of it that catches typos, with no network:

* ``generate`` reads the jsii assembly shipped in the prebuilt CDK-for-Terraform bindings
  (``cdktf-cdktf-provider-google``, pinned in ``scripts/requirements-tfschema.txt`` and fetched
  by ``make terraform-tools`` with ``pip download``: the wheel is read as a zip, never installed).
  Each resource's and data source's config struct lists its arguments (required or not) and
  nested blocks; the Terraform name of each comes from the registry link in its docs. It writes
  the schema of the types ``terraform/`` uses, plus the provider block, to a small, sorted JSON
  file (``tests/terraform/provider_schema.json``) that is committed.
* ``check`` parses every ``.tf`` file under a folder with python-hcl2 and reports every resource
  type, data source, argument or nested block the schema does not know (with the closest known
  name), every missing required argument or block, module inputs that the called local module
  does not declare (or required ones not given), and unknown keys of Terraform's own blocks
  (``variable``, ``output``, ``lifecycle``, ``dynamic``...).

Covered providers: ``google`` (resources named ``google_*``) and Terraform's built-ins; any other
provider's resource is reported as not covered, so it cannot slip through unchecked.

Usage::

    python scripts/terraform_schema.py check [--schema FILE] [terraform]
    python scripts/terraform_schema.py generate [--wheel-dir DIR] [--out FILE] [terraform]
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import re
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_SCHEMA",
    "SchemaError",
    "check_directory",
    "generate_schema",
    "load_schema",
    "used_types",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO_ROOT / "tests" / "terraform" / "provider_schema.json"
DEFAULT_WHEEL_DIR = REPO_ROOT / ".venv-tfschema"
PROVIDER_PREFIX = "google_"

Node = dict[str, Any]

# "Represents a {@link https://registry.terraform.io/providers/hashicorp/google/6.50.0/docs/
# resources/pubsub_topic google_pubsub_topic}": the link text is the Terraform type name.
_LINK = re.compile(
    r"\{@link https://registry\.terraform\.io/providers/hashicorp/[\w-]+/([\d.]+)/docs"
    r"(?:/(resources|data-sources)/\w+)? (\w+)\}"
)
_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/\S+#(\w+) ")

# Terraform's own keys, valid in every resource / data block.
_RESOURCE_META = {"count", "for_each", "depends_on", "provider"}
_LIFECYCLE: Node = {
    "attributes": {
        "create_before_destroy": False,
        "prevent_destroy": False,
        "ignore_changes": False,
        "replace_triggered_by": False,
    },
    "blocks": {
        "precondition": {
            "attributes": {"condition": True, "error_message": True},
            "blocks": {},
        },
        "postcondition": {
            "attributes": {"condition": True, "error_message": True},
            "blocks": {},
        },
    },
}
_BUILTIN_RESOURCES: dict[str, Node] = {
    "terraform_data": {
        "attributes": {"input": False, "triggers_replace": False},
        "blocks": {},
    },
}
_VARIABLE_KEYS = {"type", "default", "description", "sensitive", "nullable", "ephemeral"}
_VARIABLE_BLOCKS = {"validation"}
_OUTPUT_KEYS = {"value", "description", "sensitive", "depends_on", "ephemeral"}
_OUTPUT_BLOCKS = {"precondition"}
_MODULE_META = {"source", "version", "count", "for_each", "depends_on", "providers"}
_TERRAFORM_KEYS = {"required_version", "experiments"}
_TERRAFORM_BLOCKS = {"required_providers", "backend", "cloud", "provider_meta"}


class SchemaError(Exception):
    """The schema cannot be generated or loaded (package missing, type unknown...)."""


# ---------------------------------------------------------------------------------------------
# Reading HCL (python-hcl2 >= 5 keeps quotes around labels and strings, and marks blocks).


def unquote(text: str) -> str:
    """The text of an HCL label or string literal as python-hcl2 returns it, without quotes."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def is_block_list(value: Any) -> bool:
    """Whether a parsed value is one or more blocks (``name { ... }``), not an expression."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and item.get("__is_block__") for item in value)
    )


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one ``.tf`` file with python-hcl2.

    Raises:
        SchemaError: the file is not valid HCL.
    """
    import hcl2

    try:
        with path.open(encoding="utf-8") as handle:
            parsed: dict[str, Any] = hcl2.load(handle)
    except Exception as error:  # python-hcl2 raises lark's many error types
        raise SchemaError(f"{path}: not valid HCL: {error}") from error
    return parsed


def labelled(
    blocks: list[dict[str, Any]], depth: int
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Yield (labels, body) of blocks with ``depth`` labels (resource: 2, variable: 1)."""
    for block in blocks:
        yield from _unwrap(block, depth, [])


def _unwrap(
    item: dict[str, Any], depth: int, labels: list[str]
) -> Iterator[tuple[list[str], dict[str, Any]]]:
    if depth == 0:
        yield labels, item
        return
    for key, value in item.items():
        if key.startswith("__"):
            continue
        yield from _unwrap(value, depth - 1, [*labels, unquote(key)])


# ---------------------------------------------------------------------------------------------
# Checking


@dataclass
class _Checker:
    schema: dict[str, Any]
    errors: list[str] = field(default_factory=list)

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def check_body(self, where: str, node: Node, body: dict[str, Any], meta: set[str]) -> None:
        attributes: dict[str, bool] = node["attributes"]
        blocks: dict[str, Node] = node["blocks"]
        present: set[str] = set()
        for key, value in body.items():
            if key.startswith("__"):
                continue
            if key in meta:
                continue
            if key == "lifecycle" and "depends_on" in meta and is_block_list(value):
                for block in value:
                    self.check_body(f"{where}.lifecycle", _LIFECYCLE, block, set())
                continue
            if key == "dynamic" and is_block_list(value):
                for labels, dyn in labelled(value, 1):
                    present.add(labels[0])
                    self.check_dynamic(f"{where}.dynamic.{labels[0]}", blocks, labels[0], dyn)
                continue
            present.add(key)
            if key in attributes:
                if is_block_list(value):
                    self.error(where, f"'{key}' is an argument, not a block: write {key} = ...")
            elif key in blocks:
                if is_block_list(value):
                    for block in value:
                        self.check_body(f"{where}.{key}", blocks[key], block, set())
                elif isinstance(value, dict):  # nested attribute written as an object
                    self.check_body(f"{where}.{key}", blocks[key], value, set())
            else:
                self.unknown(where, key, [*attributes, *blocks], "argument or block")
        for attribute, required in attributes.items():
            if required and attribute not in present:
                self.error(where, f"missing required argument '{attribute}'")
        for block_name, child in blocks.items():
            if child.get("required") and block_name not in present:
                self.error(where, f"missing required block '{block_name}'")

    def check_dynamic(
        self, where: str, blocks: dict[str, Node], name: str, body: dict[str, Any]
    ) -> None:
        if name not in blocks:
            self.unknown(where, name, list(blocks), "nested block")
            return
        for key, value in body.items():
            if key.startswith("__"):
                continue
            if key in {"for_each", "iterator", "labels"}:
                continue
            if key == "content" and is_block_list(value):
                for block in value:
                    self.check_body(where, blocks[name], block, set())
            else:
                self.unknown(where, key, ["for_each", "iterator", "labels", "content"], "key")

    def unknown(self, where: str, key: str, known: list[str], what: str) -> None:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.error(where, f"unknown {what} '{key}'{hint}")

    def check_keys(
        self, where: str, body: dict[str, Any], keys: set[str], blocks: set[str]
    ) -> None:
        for key, value in body.items():
            if key.startswith("__"):
                continue
            if key in blocks and isinstance(value, list):
                continue
            if key not in keys:
                self.unknown(where, key, sorted(keys | blocks), "key")


def _schema_node(schema: dict[str, Any], kind: str, type_name: str) -> Node | None:
    if kind == "resource" and type_name in _BUILTIN_RESOURCES:
        return _BUILTIN_RESOURCES[type_name]
    node: Node | None = schema[kind].get(type_name)
    return node


def _module_variables(module_dir: Path) -> dict[str, bool]:
    """Variables a local module declares, and whether each is required (no default)."""
    variables: dict[str, bool] = {}
    for path in sorted(module_dir.glob("*.tf")):
        for labels, body in labelled(parse_file(path).get("variable", []), 1):
            variables[labels[0]] = "default" not in body
    return variables


def check_directory(directory: Path, schema: dict[str, Any]) -> list[str]:
    """Check every ``.tf`` file under ``directory`` (recursively) against ``schema``.

    Args:
        directory: A Terraform root folder (modules below it are checked too).
        schema: A schema from ``load_schema`` or ``generate_schema``.

    Returns:
        One message per problem, naming the file, the block path and the unknown name; empty
        when everything is known.

    Raises:
        SchemaError: a file is not valid HCL.
    """
    checker = _Checker(schema)
    files = sorted(p for p in directory.rglob("*.tf") if ".terraform" not in p.parts)
    if not files:
        checker.error(str(directory), "no .tf files")
    for path in files:
        parsed = parse_file(path)
        relative = path.relative_to(directory).as_posix()
        for kind in ("resource", "data"):
            for (type_name, name), body in labelled(parsed.get(kind, []), 2):
                prefix = "data." if kind == "data" else ""
                where = f"{relative}: {prefix}{type_name}.{name}"
                node = _schema_node(schema, kind, type_name)
                if node is None:
                    if type_name.startswith(PROVIDER_PREFIX) or type_name in _BUILTIN_RESOURCES:
                        known = list(schema[kind])
                        checker.unknown(where, type_name, known, f"{kind} type")
                        checker.error(
                            where,
                            "(if the type is real, regenerate the schema: "
                            "python scripts/terraform_schema.py generate)",
                        )
                    else:
                        checker.error(where, f"provider of '{type_name}' is not covered")
                    continue
                meta = _RESOURCE_META | {"depends_on"}
                if kind == "resource":
                    meta |= {"provisioner", "connection"}
                checker.check_body(where, node, body, meta)
        for (provider_name,), body in labelled(parsed.get("provider", []), 1):
            where = f"{relative}: provider.{provider_name}"
            if provider_name not in schema["providers"]:
                checker.error(where, f"provider '{provider_name}' is not covered")
                continue
            checker.check_body(where, schema["providers"][provider_name]["config"], body, {"alias"})
        for (name,), body in labelled(parsed.get("variable", []), 1):
            checker.check_keys(f"{relative}: var.{name}", body, _VARIABLE_KEYS, _VARIABLE_BLOCKS)
            for block in body.get("validation", []):
                checker.check_keys(
                    f"{relative}: var.{name}.validation",
                    block,
                    {"condition", "error_message"},
                    set(),
                )
        for (name,), body in labelled(parsed.get("output", []), 1):
            checker.check_keys(f"{relative}: output.{name}", body, _OUTPUT_KEYS, _OUTPUT_BLOCKS)
        for body in parsed.get("terraform", []):
            checker.check_keys(f"{relative}: terraform", body, _TERRAFORM_KEYS, _TERRAFORM_BLOCKS)
        for (name,), body in labelled(parsed.get("module", []), 1):
            where = f"{relative}: module.{name}"
            source = unquote(str(body.get("source", "")))
            if not source.startswith(("./", "../")):
                checker.error(where, f"only local modules can be checked, not '{source}'")
                continue
            variables = _module_variables((path.parent / source).resolve())
            given = {k for k in body if not k.startswith("__") and k not in _MODULE_META}
            for key in sorted(given - set(variables)):
                checker.unknown(where, key, list(variables), "module input")
            for key in sorted(
                k for k, required in variables.items() if required and k not in given
            ):
                checker.error(where, f"missing required module input '{key}'")
    return checker.errors


def load_schema(path: Path = DEFAULT_SCHEMA) -> dict[str, Any]:
    """Load a schema written by ``generate``.

    Raises:
        SchemaError: the file is missing.
    """
    if not path.is_file():
        raise SchemaError(f"no schema at {path}: run python scripts/terraform_schema.py generate")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def used_types(directory: Path) -> dict[str, set[str]]:
    """The provider resource and data source types the ``.tf`` files under ``directory`` use."""
    used: dict[str, set[str]] = {"resource": set(), "data": set()}
    for path in sorted(directory.rglob("*.tf")):
        parsed = parse_file(path)
        for kind, names in used.items():
            for (type_name, _name), _body in labelled(parsed.get(kind, []), 2):
                if type_name.startswith(PROVIDER_PREFIX):
                    names.add(type_name)
    return used


# ---------------------------------------------------------------------------------------------
# Generating from the jsii assembly of cdktf-cdktf-provider-google


def _read_assembly(wheel: Path) -> dict[str, Any]:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if not names:
            raise SchemaError(f"{wheel}: no jsii assembly (*.jsii.tgz) inside")
        with tarfile.open(fileobj=io.BytesIO(archive.read(names[0])), mode="r:gz") as tar:
            member = tar.extractfile("package/.jsii")
            if member is None:
                raise SchemaError(f"{wheel}: the jsii tarball has no package/.jsii")
            assembly: dict[str, Any] = json.load(member)
    return assembly


def _struct_fqns(type_ref: Any, assembly_name: str) -> Iterator[str]:
    if isinstance(type_ref, dict):
        fqn = type_ref.get("fqn")
        if isinstance(fqn, str) and fqn.startswith(assembly_name + "."):
            yield fqn
        for value in type_ref.values():
            yield from _struct_fqns(value, assembly_name)
    elif isinstance(type_ref, list):
        for value in type_ref:
            yield from _struct_fqns(value, assembly_name)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


class _Assembly:
    def __init__(self, assembly: dict[str, Any]) -> None:
        self.name: str = assembly["name"]
        self.types: dict[str, Any] = assembly["types"]
        self.classes: dict[tuple[str, str], str] = {}
        self.provider_class: str | None = None
        self.version = ""
        for fqn, spec in self.types.items():
            if spec.get("kind") != "class":
                continue
            match = _LINK.search(spec.get("docs", {}).get("summary", ""))
            if not match:
                continue
            self.version = match.group(1)
            section, type_name = match.group(2), match.group(3)
            if section is None:
                self.provider_class = fqn
            else:
                kind = "resource" if section == "resources" else "data"
                self.classes[(kind, type_name)] = fqn

    def config_struct(self, class_fqn: str) -> str:
        for parameter in self.types[class_fqn]["initializer"]["parameters"]:
            if parameter["name"] == "config":
                fqn: str = parameter["type"]["fqn"]
                return fqn
        raise SchemaError(f"{class_fqn}: no config parameter")

    def node(self, struct_fqn: str, seen: tuple[str, ...] = ()) -> Node:
        spec = self.types[struct_fqn]
        node: Node = {"attributes": {}, "blocks": {}}
        properties = list(spec.get("properties", []))
        for parent in spec.get("interfaces", []):
            if parent.startswith(self.name + "."):
                properties.extend(self.types[parent].get("properties", []))
        for prop in properties:
            anchor = _ANCHOR.search(prop.get("docs", {}).get("remarks", ""))
            tf_name = anchor.group(1) if anchor else _snake(prop["name"])
            required = not prop.get("optional", False)
            structs = [
                f
                for f in _struct_fqns(prop["type"], self.name)
                if self.types[f].get("datatype") and f not in seen
            ]
            if structs:
                child = self.node(structs[0], (*seen, struct_fqn))
                if required:
                    child["required"] = True
                node["blocks"][tf_name] = child
            else:
                node["attributes"][tf_name] = required
        return node


def generate_schema(wheels: list[Path], used: dict[str, set[str]]) -> dict[str, Any]:
    """Build the schema of the ``used`` types from provider binding wheels.

    Args:
        wheels: ``cdktf-cdktf-provider-*`` wheels (read as zips, not installed).
        used: ``{"resource": {...}, "data": {...}}`` type names to include.

    Returns:
        The schema: providers (version, package, provider block), and each used type's node.

    Raises:
        SchemaError: no wheel, or a used type is in none of them.
    """
    if not wheels:
        raise SchemaError(
            f"no cdktf-cdktf-provider-google wheel in {DEFAULT_WHEEL_DIR}: run make terraform-tools"
        )
    schema: dict[str, Any] = {
        "_about": (
            "Derived by scripts/terraform_schema.py generate from the jsii assembly of the "
            "wheels named under providers; only the types terraform/ uses. Do not edit: "
            "regenerate."
        ),
        "providers": {},
        "resource": {},
        "data": {},
    }
    remaining = {kind: set(names) for kind, names in used.items()}
    for wheel in sorted(wheels):
        assembly = _Assembly(_read_assembly(wheel))
        if assembly.provider_class is None:
            raise SchemaError(f"{wheel}: no provider class found")
        summary = assembly.types[assembly.provider_class]["docs"]["summary"]
        link = _LINK.search(summary)
        if link is None:
            raise SchemaError(f"{wheel}: cannot read the provider's name")
        provider_name = link.group(3)
        schema["providers"][provider_name] = {
            "version": assembly.version,
            "package": wheel.name,
            "config": assembly.node(assembly.config_struct(assembly.provider_class)),
        }
        for (kind, type_name), class_fqn in sorted(assembly.classes.items()):
            if type_name in remaining.get(kind, set()):
                schema[kind][type_name] = assembly.node(assembly.config_struct(class_fqn))
                remaining[kind].discard(type_name)
    missing = [f"{kind} {name}" for kind, names in remaining.items() for name in sorted(names)]
    if missing:
        raise SchemaError("not in any provider package: " + ", ".join(missing))
    return schema


def find_wheels(wheel_dir: Path = DEFAULT_WHEEL_DIR) -> list[Path]:
    """The provider binding wheels ``make terraform-tools`` downloaded."""
    return sorted(wheel_dir.glob("cdktf_cdktf_provider_*.whl")) if wheel_dir.is_dir() else []


def dump_schema(schema: dict[str, Any]) -> str:
    """The schema as the committed file holds it (sorted, indented, final newline)."""
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check .tf files against the schema")
    check.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    check.add_argument("directory", type=Path, nargs="?", default=REPO_ROOT / "terraform")
    generate = commands.add_parser("generate", help="regenerate the schema file")
    generate.add_argument("--wheel-dir", type=Path, default=DEFAULT_WHEEL_DIR)
    generate.add_argument("--out", type=Path, default=DEFAULT_SCHEMA)
    generate.add_argument("directory", type=Path, nargs="?", default=REPO_ROOT / "terraform")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            errors = check_directory(args.directory, load_schema(args.schema))
            for message in errors:
                print(message)
            print(f"{len(errors)} problem(s) in {args.directory}")
            return 1 if errors else 0
        schema = generate_schema(find_wheels(args.wheel_dir), used_types(args.directory))
        args.out.write_text(dump_schema(schema), encoding="utf-8")
        counts = {kind: len(schema[kind]) for kind in ("resource", "data")}
        print(f"wrote {args.out}: {counts['resource']} resources, {counts['data']} data sources")
        return 0
    except SchemaError as error:
        print(f"terraform_schema: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
