"""One source per fact: the generated docs are current, and no page restates a default wrongly.

docs/configuration.md and docs/schemas/*.json are written by scripts/gen_docs.py (make docs-gen)
from the settings and message models and terraform/; these tests regenerate them in memory and
compare, check that every setting has its meaning written, that the reference shows the code's
default beside what Terraform deploys (read here on its own from terraform/), and that no other
page keeps a settings table or quotes a default the code or Terraform does not have.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from docs_scripts import load

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
GEN = load("gen_docs")
TERRAFORM = REPO / "terraform"


def _markdown_files() -> list[Path]:
    skipped = {".venv", "build", "node_modules", ".git"}
    return [
        p
        for p in REPO.rglob("*.md")
        if not any(part in skipped or part.startswith(".venv") for part in p.parts)
    ]


def _settings() -> dict[str, Any]:
    """Every ROIT_ variable -> its field, in each settings class that reads it."""
    import importlib

    module = importlib.import_module(GEN.SETTINGS_MODULE)
    found: dict[str, Any] = {}
    for name, where in GEN.SETTINGS.items():
        cls = getattr(importlib.import_module(where), name)
        for field_name, field in cls.model_fields.items():
            found.setdefault(f"{module.ENV_PREFIX}{field_name.upper()}", []).append(field)
    return found


def _row(variable: str) -> list[str]:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(f"| `{variable}` |"):
            return [cell.strip() for cell in line.strip("|").split(" | ")]
    raise AssertionError(f"{variable} has no row in docs/configuration.md")


def _tf(path: str) -> dict[str, Any]:
    with (TERRAFORM / path).open(encoding="utf-8") as handle:
        parsed: dict[str, Any] = hcl2.load(handle)
    return parsed


def _poller_timeout_in_terraform() -> int:
    locals_ = _tf("functions.tf")["locals"][0]
    value: int = locals_["deployment_settings"]['"poll-pending"']["timeout_s"]
    return value


def test_generated_files_are_current() -> None:
    stale = [
        str(path.relative_to(REPO))
        for path, text in GEN.expected().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"stale generated docs, run `make docs-gen`: {stale}"


def test_no_generated_file_is_left_over() -> None:
    written = {path.name for path in GEN.expected() if path.parent == GEN.SCHEMA_DIR}
    assert {p.name for p in GEN.SCHEMA_DIR.glob("*.json")} == written


def test_every_setting_has_its_meaning_written() -> None:
    variables = set(_settings())
    meaning = load("settings_text").MEANING
    assert sorted(variables - set(meaning)) == [], "settings without a meaning"
    assert sorted(set(meaning) - variables) == [], "meanings of settings the code does not read"


def test_the_reference_shows_the_code_default_beside_what_terraform_deploys() -> None:
    settings = _settings()
    budget_code = settings["ROIT_POLL_TIME_BUDGET_S"][0].default
    budget_tf = next(
        body["default"]
        for item in _tf("variables.tf")["variable"]
        for name, body in item.items()
        if name.strip('"') == "poll_time_budget_s"
    )
    row = _row("ROIT_POLL_TIME_BUDGET_S")
    assert f"`{budget_code:g}`" in row[2]
    assert f"`{budget_tf}`" in row[3]
    timeouts = {f.default for f in settings["ROIT_FUNCTION_TIMEOUT_S"]}
    assert timeouts == {60, 360}, "the code's defaults changed: check this test's intent"
    row = _row("ROIT_FUNCTION_TIMEOUT_S")
    for value in timeouts:
        assert f"`{value}`" in row[2]
    locals_ = _tf("functions.tf")["locals"][0]
    deployed = {locals_["deployment_defaults"]["timeout_s"]} | {
        body["timeout_s"] for body in locals_["deployment_settings"].values() if "timeout_s" in body
    }
    assert len(deployed) >= 2
    for value in deployed:
        assert f"`{value}` (`timeout_s`)" in row[3]


def test_no_other_page_keeps_a_settings_table() -> None:
    found = []
    for path in _markdown_files():
        if path == REPO / "docs" / "configuration.md":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r"\|\s*`ROIT_[A-Z_]+`", line):
                found.append(f"{path.relative_to(REPO)}:{number}")
    assert found == [], "settings tables kept by hand (the reference is generated):\n" + "\n".join(
        found
    )


_UNIT = {None: 1, "s": 1, "minutes": 60, "minute": 60, "h": 3600}
_QUOTED = re.compile(r"`(ROIT_[A-Z_]+)`\s*\((\d[\d,]*(?:\.\d+)?)\s*(s|minutes?|h)?\)")


def _numbers(cell: str) -> set[float]:
    return {float(n.replace(",", "")) for n in re.findall(r"`(\d[\d,]*(?:\.\d+)?)`", cell)}


def test_pages_quote_defaults_the_code_or_terraform_has() -> None:
    """A page writing "`ROIT_X` (N unit)" states a default: it must be the code's or Terraform's."""
    quoted, wrong = 0, []
    for path in _markdown_files():
        if path == REPO / "docs" / "configuration.md":
            continue
        for variable, number, unit in _QUOTED.findall(path.read_text(encoding="utf-8")):
            quoted += 1
            row = _row(variable)
            value = float(number.replace(",", "")) * _UNIT[unit or None]
            if value not in _numbers(row[2]) | _numbers(row[3]):
                wrong.append(f"{path.relative_to(REPO)}: `{variable}` ({number} {unit or ''})")
    assert quoted >= 2, "the check found no quoted default: is the pattern still right?"
    assert wrong == [], "defaults quoted that neither the code nor Terraform has:\n" + "\n".join(
        wrong
    )


def test_terraform_readme_states_the_poller_timeout_terraform_deploys() -> None:
    text = (TERRAFORM / "README.md").read_text(encoding="utf-8")
    stated = re.findall(r"exceed its timeout \((\d+) s by default", text)
    assert stated == [str(_poller_timeout_in_terraform())]


@pytest.mark.parametrize(
    ("line", "fine"),
    [
        ("every `ROIT_SECRET_TTL_S` (5 minutes)", True),
        ("every `ROIT_SECRET_TTL_S` (6 minutes)", False),
        ("batches of `ROIT_DELIVERY_MAX_BATCH` (100)", True),
        ("`ROIT_POLL_TIME_BUDGET_S` (200 s)", True),
        ("`ROIT_POLL_TIME_BUDGET_S` (360 s)", False),
    ],
)
def test_the_default_check_tells_right_from_wrong(line: str, fine: bool) -> None:
    [(variable, number, unit)] = _QUOTED.findall(line)
    row = _row(variable)
    value = float(number) * _UNIT[unit or None]
    assert (value in _numbers(row[2]) | _numbers(row[3])) is fine
