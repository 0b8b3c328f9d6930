"""tfvars files: read with python-hcl2; values written in place, everything else kept.

:func:`set_values` replaces the top-level ``name = value`` assignments it is given (a value
may span lines: it ends where its brackets close) and appends the missing ones; comments and
every other assignment stay as the file had them, so a re-run changes only what changed. The
text comes out as ``terraform fmt`` writes it (:func:`~roitctl.golive.hclfmt.align`), so the
plan build's ``terraform fmt -check`` passes on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from roitctl.golive.hclfmt import align

__all__ = ["TfvarsError", "literal", "plain", "read_tfvars", "set_values"]

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*=")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TfvarsError(ValueError):
    """A tfvars file that cannot be read; the message names the file, never a value."""


def literal(value: Any, indent: str = "") -> str:
    """``value`` as an HCL literal: strings (``${`` and ``%{`` escaped), numbers, booleans,
    lists and maps (one key a line)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v, indent) for v in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = indent + "  "
        lines = [
            f"{inner}{k if _KEY.match(k) else literal(k)} = {literal(v, inner)}"
            for k, v in value.items()
        ]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def plain(value: Any) -> Any:
    """python-hcl2's output with strings unquoted (it keeps ``"..."`` around them)."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        text = value.replace("$${", "${").replace("%%{", "%{")
        try:
            return json.loads(text)
        except ValueError:
            return text[1:-1]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if k != "__comments__"}
    return value


def read_tfvars(path: Path) -> dict[str, Any]:
    """The file's values (``{}`` when it does not exist).

    Raises:
        TfvarsError: not HCL.
    """
    if not path.exists():
        return {}
    import hcl2

    try:
        parsed = hcl2.loads(path.read_text(encoding="utf-8"))
    except Exception:  # noqa: BLE001 - the parser's own errors quote the text
        raise TfvarsError(f"{path} is not a tfvars file Terraform can read") from None
    result: dict[str, Any] = plain(parsed)
    return result


def _spans(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Top-level assignment -> (first line, line after its value)."""
    spans: dict[str, tuple[int, int]] = {}
    index = 0
    while index < len(lines):
        match = _ASSIGNMENT.match(lines[index])
        if not match:
            index += 1
            continue
        start, depth = index, 0
        while True:
            code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', lines[index]).split("#", 1)[0]
            depth += code.count("{") + code.count("[") - code.count("}") - code.count("]")
            index += 1
            if depth <= 0 or index >= len(lines):
                break
        spans[match.group(1)] = (start, index)
    return spans


def _value_of(snippet: str, name: str) -> Any:
    """The value one assignment holds (``None`` when it cannot be read)."""
    import hcl2

    try:
        return plain(hcl2.loads(snippet + "\n")).get(name)
    except Exception:  # noqa: BLE001 - unreadable: it is rewritten
        return None


def set_values(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each of ``values`` assigned: replaced where it was (kept as written when
    it already holds that value), appended if new; ``=`` signs and comments aligned."""
    lines = text.splitlines()
    spans = _spans(lines)
    for name in sorted(values, key=lambda n: spans.get(n, (-1, -1))[0], reverse=True):
        if name in spans:
            start, end = spans[name]
            if _value_of("\n".join(lines[start:end]), name) != values[name]:
                lines[start:end] = f"{name} = {literal(values[name])}".splitlines()
    missing = [name for name in values if name not in spans]
    if missing and lines and lines[-1].strip():
        lines.append("")
    lines += [line for name in missing for line in f"{name} = {literal(values[name])}".splitlines()]
    return align("\n".join(lines)) + "\n"
