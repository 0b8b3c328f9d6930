"""roitctl is an operator's tool: a console script of the project, never part of a function."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devstack.processes.factories import REPO_ROOT

pytestmark = pytest.mark.integration

SCRIPT = REPO_ROOT / "scripts" / "package_functions.py"
CLI_ONLY = ("typer", "rich", "google-cloud-monitoring", "python-hcl2")


def test_the_console_script_is_installed_and_runs() -> None:
    script = Path(sys.executable).parent / "roitctl"
    assert script.exists(), "run `make install`: pyproject.toml declares the roitctl script"
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "doctor" in result.stdout and "dead-letters" in result.stdout


@pytest.mark.parametrize("function", ["poll_pending", "register_delivery"])
def test_no_function_archive_carries_the_cli(tmp_path, function) -> None:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), function],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    with zipfile.ZipFile(tmp_path / f"{function}.zip") as archive:
        names = archive.namelist()
    assert names and not [n for n in names if n.startswith("roitctl")]
    assert not [n for n in names if not (n.startswith("shared/") or "/" not in n)]


def test_no_function_requires_the_clis_libraries() -> None:
    for requirements in (REPO_ROOT / "functions").glob("*/requirements.txt"):
        names = {
            re.split(r"[=<>\[ ]", line)[0].lower() for line in requirements.read_text().split("\n")
        }
        assert not names & set(CLI_ONLY), requirements
    for main in (REPO_ROOT / "functions").glob("*/main.py"):
        assert "roitctl" not in main.read_text()
    for module in (REPO_ROOT / "shared").glob("*.py"):
        assert "roitctl" not in module.read_text(), module
