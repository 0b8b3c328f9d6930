"""A schema-only stand-in for the ``hashicorp/google`` provider, so Terraform runs offline.

``terraform validate`` and ``terraform plan`` need the provider, which cannot be downloaded
everywhere the tests run. This script gives Terraform a provider that knows the real provider's
schema for the types ``terraform/`` uses (argument types; required, optional and computed; block
nesting) and nothing else: Terraform itself then checks the configuration (unknown arguments
and references, wrong types, missing required arguments, variable validations, preconditions)
and plans it. It never calls Google: a plan's computed values are unknown, a data source answers
placeholders, and ``apply`` is refused.

Commands:

* ``schema``: derive the schema from the prebuilt CDK-for-Terraform bindings of the pinned
  provider (``cdktf-cdktf-provider-google``, pinned in ``scripts/requirements-tfschema.txt`` and
  downloaded by ``make terraform-tools``; the wheel is read as a zip, never installed). For each
  type, the bindings' JavaScript names every argument with its Terraform name, type and, for a
  block, its nesting (``list``, ``set``, or ``single`` for ``timeouts``); their TypeScript
  declarations say which arguments are required and which blocks hold at most one element;
  their attribute getters name the computed-only attributes. It writes the types any ``.tf``
  file under ``terraform/`` uses, in the layout of ``terraform providers schema -json``, to
  ``tests/terraform/provider_schema.json`` (committed; a test proves it current). Optional
  arguments are also marked computed (the bindings do not say which are), so a plan shows an
  unset optional argument as "known after apply".
* ``install``: write a filesystem mirror holding the stand-in as
  ``registry.terraform.io/hashicorp/google`` at the schema's version, for this machine's
  platform, and a Terraform CLI configuration that installs the google provider from it only
  (``TF_CLI_CONFIG_FILE``). ``make terraform-tools`` runs it into ``build/terraform-standin``.
* ``serve``: be the provider (Terraform starts the mirror's executable, which runs this). The
  protocol's messages and gRPC services (tfplugin6, and go-plugin's controller and stdio
  services) are the ``tf`` package's generated bindings, installed in their own venv
  (``.venv-tfprovider``, ``scripts/requirements-tfprovider.txt``). The package's own provider
  runtime does not fit a schema-only provider (it knows no list nesting or object types, leaves
  computed values inside blocks null, and keeps a private key in the home folder), so the
  servicer and go-plugin's handshake (magic cookie, a throwaway TLS certificate, the
  ``1|6|unix|<socket>|grpc|<certificate>`` line) are here.

Usage::

    python scripts/terraform_standin.py schema [--wheel-dir DIR] [--out FILE] [--check]
    python scripts/terraform_standin.py install --python PY [--schema FILE] [--dest DIR]
    python scripts/terraform_standin.py serve --schema FILE
"""

from __future__ import annotations

import argparse
import json
import os
import platform as os_platform
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = REPO_ROOT / "tests" / "terraform" / "provider_schema.json"
DEFAULT_WHEEL_DIR = REPO_ROOT / ".venv-tfschema"
DEFAULT_DEST = REPO_ROOT / "build" / "terraform-standin"
TERRAFORM_DIR = REPO_ROOT / "terraform"

PROVIDER_SOURCE = "registry.terraform.io/hashicorp/google"
TYPE_PREFIX = "google_"

# go-plugin's handshake: Terraform sets this cookie in the environment of every provider it starts.
MAGIC_COOKIE_KEY = "TF_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"

Json = dict[str, Any]


class StandinError(Exception):
    """The schema cannot be derived or loaded, or the mirror cannot be written."""


# ---------------------------------------------------------------------------------------------
# Which provider types terraform/ uses


_TYPE_USE = re.compile(r'^\s*(resource|data)\s+"(google_\w+)"', re.MULTILINE)


def used_types(directory: Path = TERRAFORM_DIR) -> dict[str, set[str]]:
    """The google resource and data source types of every ``.tf`` file under ``directory``."""
    used: dict[str, set[str]] = {"resource": set(), "data": set()}
    for path in sorted(directory.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        for kind, type_name in _TYPE_USE.findall(path.read_text(encoding="utf-8")):
            used[kind].add(type_name)
    return used


# ---------------------------------------------------------------------------------------------
# Deriving the schema from the bindings (lib/<type>/index.js and index.d.ts in the jsii tarball)


def _lib_dir(kind: str, type_name: str) -> str:
    """The bindings' folder of a type: google_pubsub_topic -> pubsub-topic (data-google-...)."""
    if kind == "provider":
        return "provider"
    stem = type_name.removeprefix(TYPE_PREFIX).replace("_", "-")
    return f"data-google-{stem}" if kind == "data" else stem


def read_bindings(wheel: Path, folders: Iterable[str]) -> dict[str, dict[str, str]]:
    """``{folder: {"js": ..., "dts": ...}}`` of the given ``lib/`` folders of the bindings wheel.

    Raises:
        StandinError: the wheel has no jsii tarball, or a folder is missing from it.
    """
    wanted = {f"package/lib/{folder}/index.{ext}" for folder in folders for ext in ("js", "d.ts")}
    found: dict[str, dict[str, str]] = {folder: {} for folder in folders}
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".jsii.tgz")]
        if not names:
            raise StandinError(f"{wheel}: no jsii tarball (*.jsii.tgz) inside")
        with archive.open(names[0]) as raw, tarfile.open(fileobj=raw, mode="r|gz") as tar:
            for member in tar:
                if member.name not in wanted:
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                folder = member.name.split("/")[2]
                key = "js" if member.name.endswith(".js") else "dts"
                found[folder][key] = handle.read().decode("utf-8")
    missing = sorted(folder for folder, files in found.items() if set(files) != {"js", "dts"})
    if missing:
        raise StandinError(f"{wheel}: no bindings for {', '.join(missing)}")
    return found


_ENTRY = re.compile(
    r"\n\s+(\w+): \{\n\s+value: (?P<value>[^\n]*),\n\s+isBlock: (?P<block>true|false),\n"
    r'\s+type: "(?P<type>\w+)",\n\s+storageClassType: "(?P<storage>\w+)",'
)
_CAMEL_IN_VALUE = re.compile(r"\((?:struct\.|this\._)(\w+)(?:\.internalValue)?\)\s*$")
_STRUCT_IN_VALUE = re.compile(r"(\w+)ToHclTerraform\b")
_GETTER = re.compile(r"\n    get (\w+)\(\) \{\n\s+return this\.(get\w+Attribute)\('(\w+)'\);")
_FIELD = re.compile(r"this\._(\w+) = new ([\w.]+)\(this, \"(\w+)\"")
_PROPERTY = re.compile(r"\n    readonly (\w+)(\?)?: ([^\n]*)")

_SIMPLE = {"string": "string", "number": "number", "boolean": "bool"}
_GETTER_TYPES: dict[str, Any] = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
}
_CDKTF_COLLECTIONS: dict[str, Any] = {
    "cdktf.StringMap": ["map", "string"],
    "cdktf.NumberMap": ["map", "number"],
    "cdktf.BooleanMap": ["map", "bool"],
    "cdktf.AnyMap": ["map", "dynamic"],
    "cdktf.StringMapList": ["list", ["map", "string"]],
    "cdktf.NumberMapList": ["list", ["map", "number"]],
    "cdktf.BooleanMapList": ["list", ["map", "bool"]],
    "cdktf.StringListList": ["list", ["list", "string"]],
    "cdktf.NumberListList": ["list", ["list", "number"]],
}


def _upper_first(name: str) -> str:
    return name[:1].upper() + name[1:]


@dataclass
class _Bindings:
    """One type's bindings: its JavaScript (names, types, nesting) and declarations (optional)."""

    where: str
    js: str
    dts: str
    _classes: dict[str, str] = field(default_factory=dict)

    def _section(self, text: str, start: str, what: str) -> str:
        begin = text.find(start)
        if begin < 0:
            raise StandinError(f"{self.where}: no {what}")
        end = text.find("\n}\n", begin)
        return text[begin : end if end > 0 else len(text)]

    def js_class(self, name: str) -> str:
        if name not in self._classes:
            self._classes[name] = self._section(self.js, f"\nclass {name} ", f"class {name}")
        return self._classes[name]

    def interface(self, name: str) -> dict[str, tuple[bool, str]]:
        """camelName -> (optional, declared type) of a TypeScript interface."""
        body = self._section(self.dts, f"\nexport interface {name} ", f"interface {name}")
        return {m[1]: (m[2] == "?", m[3]) for m in _PROPERTY.finditer(body)}

    def entries(self, body: str) -> list[re.Match[str]]:
        return list(_ENTRY.finditer(body))

    def struct_entries(self, struct: str) -> list[re.Match[str]]:
        function = f"\nfunction {struct[:1].lower()}{struct[1:]}ToHclTerraform("
        return self.entries(self._section(self.js, function, f"{struct} HCL function"))

    def root_class(self, base: str) -> str:
        match = re.search(rf"\nclass (\w+) extends cdktf\.{base} ", self.js)
        if not match:
            raise StandinError(f"{self.where}: no class extending cdktf.{base}")
        return match.group(1)

    # -- blocks -------------------------------------------------------------------------------

    def block(self, entries: list[re.Match[str]], config: str, getters_of: str | None) -> Json:
        """The schema block of a resource / struct from its HCL entries and declarations."""
        declared = self.interface(config)
        attributes: Json = {}
        block_types: Json = {}
        for entry in entries:
            name = entry.group(1)
            camel_match = _CAMEL_IN_VALUE.search(entry.group("value"))
            # The bindings rename arguments that clash with their members (build: buildAttribute).
            candidates = (
                [f"{camel_match.group(1)}{suffix}" for suffix in ("", "Attribute")]
                if camel_match
                else []
            )
            declaration = next((declared[c] for c in candidates if c in declared), None)
            if declaration is None:
                raise StandinError(f"{self.where}: cannot read the declaration of {name}")
            optional, declared_type = declaration
            if entry.group("block") == "true":
                block_types[name] = self._nested(entry, optional, declared_type)
            else:
                attribute: Json = {"type": self._attribute_type(entry)}
                attribute.update({"optional": True, "computed": True} if optional else {})
                attribute.update({} if optional else {"required": True})
                attributes[name] = attribute
        if getters_of is not None:
            for name, kind in self.computed_only(getters_of, set(attributes) | set(block_types)):
                attributes[name] = {"type": kind, "computed": True}
        result: Json = {}
        if attributes:
            result["attributes"] = dict(sorted(attributes.items()))
        if block_types:
            result["block_types"] = dict(sorted(block_types.items()))
        return result

    def _attribute_type(self, entry: re.Match[str]) -> Any:
        kind, storage = entry.group("type"), entry.group("storage")
        if kind == "simple" and storage in _SIMPLE:
            return _SIMPLE[storage]
        for suffix, collection in (("List", ("list", "set")), ("Map", ("map",))):
            element = storage.removesuffix(suffix)
            if kind in collection and storage.endswith(suffix) and element in _SIMPLE:
                return [kind, _SIMPLE[element]]
        raise StandinError(f"{self.where}: unsupported type {kind}/{storage} of {entry.group(1)}")

    def _nested(self, entry: re.Match[str], optional: bool, declared_type: str) -> Json:
        struct_match = _STRUCT_IN_VALUE.search(entry.group("value"))
        if not struct_match:
            raise StandinError(f"{self.where}: no struct for block {entry.group(1)}")
        struct = _upper_first(struct_match.group(1))
        modes = {"list": "list", "set": "set", "struct": "single"}
        nesting = modes.get(entry.group("type"))
        if nesting is None:
            raise StandinError(f"{self.where}: unknown nesting {entry.group('type')}")
        getters = f"{struct}OutputReference"
        nested: Json = {
            "nesting_mode": nesting,
            "block": self.block(
                self.struct_entries(struct),
                struct,
                getters if f"\nclass {getters} " in self.js else None,
            ),
        }
        if nesting != "single":
            if not optional:
                nested["min_items"] = 1
            if "[]" not in declared_type:
                nested["max_items"] = 1
        return nested

    # -- computed-only attributes (getters that are not arguments) -----------------------------

    def computed_only(self, class_name: str, arguments: set[str]) -> Iterator[tuple[str, Any]]:
        body = self.js_class(class_name)
        for _camel, method, name in _GETTER.findall(body):
            if name not in arguments:
                yield name, _GETTER_TYPES[method]
        for _camel, cls, name in _FIELD.findall(body):
            if name not in arguments:
                yield name, self.class_type(cls)

    def class_type(self, cls: str) -> Any:
        if cls in _CDKTF_COLLECTIONS:
            return _CDKTF_COLLECTIONS[cls]
        body = self.js_class(cls)
        element = re.search(r"return new (\w+OutputReference)\(", body)
        if cls.endswith("OutputReference"):
            return ["object", dict(sorted(self.computed_only(cls, set())))]
        if element and "extends cdktf.ComplexList" in body:
            return ["list", self.class_type(element.group(1))]
        if element and "extends cdktf.ComplexMap" in body:
            return ["map", self.class_type(element.group(1))]
        raise StandinError(f"{self.where}: unsupported computed class {cls}")


_VERSION = re.compile(r"registry\.terraform\.io/providers/hashicorp/google/([\d.]+)/docs")


def type_schema(bindings: _Bindings, kind: str) -> Json:
    """The schema (``{"version": 0, "block": ...}``) of one resource, data source or provider."""
    base = {"resource": "TerraformResource", "data": "TerraformDataSource"}.get(
        kind, "TerraformProvider"
    )
    root = bindings.root_class(base)
    synthesize = bindings.js_class(root)
    start = synthesize.find("synthesizeHclAttributes()")
    if start < 0:
        raise StandinError(f"{bindings.where}: no synthesizeHclAttributes")
    entries = [e for e in bindings.entries(synthesize[start:]) if e.group(1) != "alias"]
    getters = None if kind == "provider" else root
    return {"version": 0, "block": bindings.block(entries, f"{root}Config", getters)}


def generate_schema(wheel: Path, used: dict[str, set[str]]) -> Json:
    """The schema of the provider and of the ``used`` types, from the bindings ``wheel``.

    Raises:
        StandinError: the wheel lacks a used type or cannot be read.
    """
    wanted = [("provider", "google")]
    wanted += [(kind, name) for kind in ("resource", "data") for name in sorted(used[kind])]
    files = read_bindings(wheel, {_lib_dir(kind, name) for kind, name in wanted})
    schemas: Json = {"resource_schemas": {}, "data_source_schemas": {}}
    provider: Json = {}
    version = ""
    for kind, name in wanted:
        folder = _lib_dir(kind, name)
        bindings = _Bindings(folder, files[folder]["js"], files[folder]["dts"])
        found = _VERSION.search(bindings.dts)
        version = found.group(1) if found else version
        schema = type_schema(bindings, kind)
        if kind == "provider":
            provider = schema
        else:
            schemas["resource_schemas" if kind == "resource" else "data_source_schemas"][name] = (
                schema
            )
    return {
        "_about": (
            "The google provider's schema for the types terraform/ uses, derived by "
            "scripts/terraform_standin.py schema from the bindings named in _source. "
            "Do not edit: regenerate."
        ),
        "_source": {"package": wheel.name, "provider_version": version},
        "format_version": "1.0",
        "provider_schemas": {PROVIDER_SOURCE: {"provider": provider, **schemas}},
    }


def find_wheel(wheel_dir: Path = DEFAULT_WHEEL_DIR) -> Path:
    """The bindings wheel ``make terraform-tools`` downloaded.

    Raises:
        StandinError: none there.
    """
    wheels = sorted(wheel_dir.glob("cdktf_cdktf_provider_google-*.whl"))
    if not wheels:
        raise StandinError(
            f"no cdktf-cdktf-provider-google wheel in {wheel_dir}: run make terraform-tools"
        )
    return wheels[-1]


def dump_schema(schema: Json) -> str:
    """The schema as the committed file holds it (sorted, indented, final newline)."""
    return json.dumps(schema, indent=1, sort_keys=True) + "\n"


def load_schema(path: Path = DEFAULT_SCHEMA) -> Json:
    """A schema written by ``schema``.

    Raises:
        StandinError: the file is missing.
    """
    if not path.is_file():
        raise StandinError(f"no schema at {path}: run python scripts/terraform_standin.py schema")
    schema: Json = json.loads(path.read_text(encoding="utf-8"))
    return schema


def provider_version(schema: Json) -> str:
    """The provider version a schema was derived for."""
    version: str = schema["_source"]["provider_version"]
    return version


# ---------------------------------------------------------------------------------------------
# The filesystem mirror and the CLI configuration


def terraform_platform(terraform: str = "terraform") -> str:
    """This machine's Terraform platform (``linux_amd64``, ``darwin_arm64`` ...): the installed
    terraform's own, or, without one, what this machine's Terraform would be."""
    found = shutil.which(terraform)
    if found:
        result = subprocess.run(
            [found, "version", "-json"], capture_output=True, text=True, check=True, timeout=60
        )
        platform: str = json.loads(result.stdout)["platform"]
        return platform
    machine = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
    arch = machine.get(os_platform.machine().lower(), os_platform.machine().lower())
    return f"{os_platform.system().lower()}_{arch}"


def install(python: Path, schema_path: Path, dest: Path, platform: str) -> Path:
    """Write the mirror and the CLI configuration under ``dest``; returns the configuration.

    The mirror uses Terraform's unpacked layout
    (``HOST/NAMESPACE/TYPE/VERSION/PLATFORM/terraform-provider-TYPE_vVERSION``); the executable
    is a shell script running ``serve`` with ``python`` (the venv that has the ``tf`` package).
    """
    version = provider_version(load_schema(schema_path))
    package = dest / "mirror" / PROVIDER_SOURCE / version / platform
    package.mkdir(parents=True, exist_ok=True)
    for stale in package.glob("terraform-provider-google_*"):
        stale.unlink()
    executable = package / f"terraform-provider-google_v{version}"
    command = [str(python.absolute()), str(Path(__file__).resolve()), "serve"]
    command += ["--schema", str(schema_path.resolve())]
    executable.write_text(
        "#!/bin/sh\n# The schema-only stand-in (scripts/terraform_standin.py).\n"
        f"exec {shlex.join(command)}\n",
        encoding="utf-8",
    )
    executable.chmod(0o755)
    config = dest / "terraformrc"
    mirror = json.dumps(str((dest / "mirror").resolve()))
    config.write_text(
        "# Terraform CLI configuration of the tests: the google provider comes from the\n"
        "# stand-in's mirror only, never from the registry.\n"
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f"    path    = {mirror}\n"
        f'    include = ["{PROVIDER_SOURCE}"]\n'
        "  }\n"
        "}\n"
        "disable_checkpoint = true\n",
        encoding="utf-8",
    )
    return config


# ---------------------------------------------------------------------------------------------
# Planning with the schema alone


class _UnknownType:
    """A value Terraform will know only after apply (cty's unknown; msgpack extension 0)."""

    _instance: _UnknownType | None = None

    def __new__(cls) -> _UnknownType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "Unknown"


UNKNOWN = _UnknownType()


def plan_value(block: Json, value: Any) -> Any:
    """The planned object of a resource: the proposed one with every unset computed value unknown.

    Terraform keeps what the configuration sets; what it leaves null and the provider computes
    becomes unknown ("known after apply"), in nested blocks too.
    """
    if value is None or value is UNKNOWN or not isinstance(value, dict):
        return value
    planned = dict(value)
    for name, attribute in block.get("attributes", {}).items():
        if planned.get(name) is None and attribute.get("computed"):
            planned[name] = UNKNOWN
    for name, nested in block.get("block_types", {}).items():
        current = planned.get(name)
        if nested["nesting_mode"] == "single":
            planned[name] = plan_value(nested["block"], current)
        elif isinstance(current, list):
            planned[name] = [plan_value(nested["block"], item) for item in current]
    return planned


def placeholder(kind: Any) -> Any:
    """A known value of a cty type, for a data source's computed attributes."""
    if kind == "string":
        return "stand-in"
    if kind == "number":
        return 0
    if kind == "bool":
        return False
    if kind == "dynamic":
        return None
    collection = kind[0]
    if collection in ("list", "set"):
        return []
    if collection == "map":
        return {}
    if collection == "object":
        return {name: placeholder(inner) for name, inner in kind[1].items()}
    return None


# Plausible values for the data sources terraform/ reads, so that what is built from them
# (service agent addresses, members, resource names) passes the configuration's validations.
# Formatted with the data source's configuration (and the provider's project when unset).
STANDIN_PROJECT_NUMBER = "123456789012"
_GCS_AGENT = f"service-{STANDIN_PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com"
_DATA_PLACEHOLDERS: dict[str, dict[str, str]] = {
    "google_project": {
        "number": STANDIN_PROJECT_NUMBER,
        "name": "{project_id}",
        "id": "projects/{project_id}",
    },
    "google_service_account": {
        "email": "{account_id}@{project}.iam.gserviceaccount.com",
        "member": "serviceAccount:{account_id}@{project}.iam.gserviceaccount.com",
        "name": "projects/{project}/serviceAccounts/{account_id}@{project}.iam.gserviceaccount.com",
        "id": "projects/{project}/serviceAccounts/{account_id}@{project}.iam.gserviceaccount.com",
        "unique_id": "100000000000000000000",
    },
    "google_storage_project_service_account": {
        "email_address": _GCS_AGENT,
        "member": f"serviceAccount:{_GCS_AGENT}",
    },
}


def read_data_source(
    type_name: str, block: Json, config: Json, provider_project: str | None
) -> Any:
    """A data source's state: its configuration with every unset computed value a placeholder
    (plausible ones for the types in ``_DATA_PLACEHOLDERS``)."""
    state = read_value(block, config)
    if not isinstance(state, dict):
        return state
    known = {k: v for k, v in config.items() if isinstance(v, str)}
    project = known.get("project") or known.get("project_id") or provider_project or "project"
    fields = {"project": project, "project_id": project, **known}
    for name, template in _DATA_PLACEHOLDERS.get(type_name, {}).items():
        if name in state and config.get(name) is None:
            state[name] = template.format(**fields)
    return state


def read_value(block: Json, value: Any) -> Any:
    """A data source's state: its configuration with every unset computed value a placeholder."""
    if not isinstance(value, dict):
        return value
    state = dict(value)
    for name, attribute in block.get("attributes", {}).items():
        if state.get(name) is None and attribute.get("computed"):
            state[name] = placeholder(attribute["type"])
    for name, nested in block.get("block_types", {}).items():
        current = state.get(name)
        if nested["nesting_mode"] == "single":
            state[name] = read_value(nested["block"], current)
        elif isinstance(current, list):
            state[name] = [read_value(nested["block"], item) for item in current]
    return state


# ---------------------------------------------------------------------------------------------
# Serving (Terraform plugin protocol 6 over gRPC, go-plugin handshake)


def _pack(value: Any) -> bytes:
    import msgpack

    def default(obj: Any) -> Any:
        if obj is UNKNOWN:
            return msgpack.ExtType(0, b"\x00")
        raise TypeError(f"cannot encode {type(obj).__name__}")

    packed: bytes = msgpack.packb(value, default=default)
    return packed


def _unpack(data: bytes) -> Any:
    import msgpack

    def ext_hook(code: int, payload: bytes) -> Any:
        return UNKNOWN if code == 0 else msgpack.ExtType(code, payload)

    return msgpack.unpackb(data, ext_hook=ext_hook, strict_map_key=False)


def make_servicer(schema: Json) -> Any:
    """The gRPC servicer of the stand-in (tfplugin6.Provider), over ``schema``."""
    from tf.gen import tfplugin_pb2 as pb
    from tf.gen import tfplugin_pb2_grpc as rpc

    provider = schema["provider_schemas"][PROVIDER_SOURCE]
    resources: Json = provider["resource_schemas"]
    data_sources: Json = provider["data_source_schemas"]
    nesting = {
        "single": pb.Schema.NestedBlock.NestingMode.SINGLE,
        "list": pb.Schema.NestedBlock.NestingMode.LIST,
        "set": pb.Schema.NestedBlock.NestingMode.SET,
    }

    def block_pb(block: Json) -> Any:
        return pb.Schema.Block(
            attributes=[
                pb.Schema.Attribute(
                    name=name,
                    type=json.dumps(attribute["type"]).encode(),
                    required=attribute.get("required", False),
                    optional=attribute.get("optional", False),
                    computed=attribute.get("computed", False),
                )
                for name, attribute in block.get("attributes", {}).items()
            ],
            block_types=[
                pb.Schema.NestedBlock(
                    type_name=name,
                    block=block_pb(nested["block"]),
                    nesting=nesting[nested["nesting_mode"]],
                    min_items=nested.get("min_items", 0),
                    max_items=nested.get("max_items", 0),
                )
                for name, nested in block.get("block_types", {}).items()
            ],
        )

    def schema_pb(type_schema: Json) -> Any:
        return pb.Schema(version=type_schema["version"], block=block_pb(type_schema["block"]))

    def value_of(dynamic: Any) -> Any:
        if dynamic.msgpack:
            return _unpack(dynamic.msgpack)
        if dynamic.json:
            return json.loads(dynamic.json)
        return None

    def dynamic(value: Any) -> Any:
        return pb.DynamicValue(msgpack=_pack(value))

    def error(summary: str, detail: str = "") -> Any:
        return pb.Diagnostic(severity=pb.Diagnostic.ERROR, summary=summary, detail=detail)

    class Standin(rpc.ProviderServicer):  # type: ignore[misc]
        def __init__(self) -> None:
            self.project: str | None = None
            self.schemas = {
                "provider": schema_pb(provider["provider"]),
                "resources": {name: schema_pb(s) for name, s in resources.items()},
                "data": {name: schema_pb(s) for name, s in data_sources.items()},
            }

        def GetMetadata(self, request: Any, context: Any) -> Any:
            return pb.GetMetadata.Response(
                server_capabilities=pb.ServerCapabilities(plan_destroy=True),
                resources=[pb.GetMetadata.ResourceMetadata(type_name=n) for n in resources],
                data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=n) for n in data_sources],
            )

        def GetProviderSchema(self, request: Any, context: Any) -> Any:
            return pb.GetProviderSchema.Response(
                provider=self.schemas["provider"],
                resource_schemas=self.schemas["resources"],
                data_source_schemas=self.schemas["data"],
                server_capabilities=pb.ServerCapabilities(plan_destroy=True),
            )

        def ValidateProviderConfig(self, request: Any, context: Any) -> Any:
            return pb.ValidateProviderConfig.Response()

        def ValidateResourceConfig(self, request: Any, context: Any) -> Any:
            return pb.ValidateResourceConfig.Response()

        def ValidateDataResourceConfig(self, request: Any, context: Any) -> Any:
            return pb.ValidateDataResourceConfig.Response()

        def ConfigureProvider(self, request: Any, context: Any) -> Any:
            config = value_of(request.config)
            if isinstance(config, dict) and isinstance(config.get("project"), str):
                self.project = config["project"]
            return pb.ConfigureProvider.Response()

        def UpgradeResourceState(self, request: Any, context: Any) -> Any:
            state = json.loads(request.raw_state.json) if request.raw_state.json else None
            return pb.UpgradeResourceState.Response(upgraded_state=dynamic(state))

        def ReadResource(self, request: Any, context: Any) -> Any:
            return pb.ReadResource.Response(
                new_state=request.current_state, private=request.private
            )

        def PlanResourceChange(self, request: Any, context: Any) -> Any:
            block = resources[request.type_name]["block"]
            proposed = value_of(request.proposed_new_state)
            return pb.PlanResourceChange.Response(
                planned_state=dynamic(plan_value(block, proposed))
            )

        def ApplyResourceChange(self, request: Any, context: Any) -> Any:
            return pb.ApplyResourceChange.Response(
                diagnostics=[
                    error(
                        "The stand-in provider cannot apply",
                        "It knows the google provider's schema only: use the real provider.",
                    )
                ]
            )

        def ImportResourceState(self, request: Any, context: Any) -> Any:
            return pb.ImportResourceState.Response(
                diagnostics=[error("The stand-in provider cannot import")]
            )

        def ReadDataSource(self, request: Any, context: Any) -> Any:
            block = data_sources[request.type_name]["block"]
            config = value_of(request.config) or {}
            state = read_data_source(request.type_name, block, config, self.project)
            return pb.ReadDataSource.Response(state=dynamic(state))

        def GetFunctions(self, request: Any, context: Any) -> Any:
            return pb.GetFunctions.Response()

        def StopProvider(self, request: Any, context: Any) -> Any:
            return pb.StopProvider.Response()

    return Standin()


def _server_certificate() -> tuple[bytes, bytes, bytes]:
    """A throwaway self-signed certificate for "localhost": (DER, PEM, key PEM).

    go-plugin's client trusts exactly the certificate the handshake line carries.
    """
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        certificate.public_bytes(serialization.Encoding.DER),
        certificate.public_bytes(serialization.Encoding.PEM),
        key_pem,
    )


def serve(schema_path: Path) -> int:
    """Run as a Terraform provider until Terraform shuts it down; returns the exit code."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        print(
            "This is a Terraform provider (the google stand-in of the tests): "
            "Terraform starts it, not you.",
            file=sys.stderr,
        )
        return 1
    import base64
    from concurrent import futures

    import grpc
    from tf.gen import grpc_controller_pb2 as controller_pb
    from tf.gen import grpc_controller_pb2_grpc as controller_rpc
    from tf.gen import grpc_stdio_pb2_grpc as stdio_rpc
    from tf.gen import tfplugin_pb2_grpc as rpc

    schema = load_schema(schema_path)
    stopped = threading.Event()

    class Controller(controller_rpc.GRPCControllerServicer):  # type: ignore[misc]
        def Shutdown(self, request: Any, context: Any) -> Any:
            stopped.set()
            return controller_pb.Empty()

    class Stdio(stdio_rpc.GRPCStdioServicer):  # type: ignore[misc]
        def StreamStdio(self, request: Any, context: Any) -> Any:
            return iter(())

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    rpc.add_ProviderServicer_to_server(make_servicer(schema), server)
    controller_rpc.add_GRPCControllerServicer_to_server(Controller(), server)
    stdio_rpc.add_GRPCStdioServicer_to_server(Stdio(), server)
    der, pem, key_pem = _server_certificate()
    credentials = grpc.ssl_server_credentials([(key_pem, pem)])
    with tempfile.TemporaryDirectory(prefix="tf-standin-") as scratch:
        socket = f"{scratch}/plugin.sock"
        server.add_secure_port(f"unix://{socket}", credentials)
        server.start()
        certificate = base64.b64encode(der).decode().rstrip("=")
        # core protocol | app protocol | network | address | protocol | server certificate
        print(f"1|6|unix|{socket}|grpc|{certificate}", flush=True)
        stopped.wait()
        server.stop(grace=0.05).wait()
    return 0


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="derive the schema file from the bindings")
    schema.add_argument("--wheel-dir", type=Path, default=DEFAULT_WHEEL_DIR)
    schema.add_argument("--out", type=Path, default=DEFAULT_SCHEMA)
    schema.add_argument("--check", action="store_true", help="fail if --out is not current")
    setup = commands.add_parser("install", help="write the filesystem mirror and CLI config")
    setup.add_argument("--python", type=Path, required=True, help="python of the tf venv")
    setup.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    setup.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    setup.add_argument("--terraform", default="terraform")
    run = commands.add_parser("serve", help="run as the provider (Terraform does this)")
    run.add_argument("--schema", type=Path, default=DEFAULT_SCHEMA)
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args.schema)
        if args.command == "install":
            platform = terraform_platform(args.terraform)
            config = install(args.python, args.schema, args.dest, platform)
            print(f"stand-in google provider for {platform}: TF_CLI_CONFIG_FILE={config}")
            return 0
        text = dump_schema(generate_schema(find_wheel(args.wheel_dir), used_types()))
        if args.check:
            current = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
            print(f"{args.out}: {'current' if current else 'STALE: regenerate it'}")
            return 0 if current else 1
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
        return 0
    except StandinError as error:
        print(f"terraform_standin: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
