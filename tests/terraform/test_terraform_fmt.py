"""`terraform fmt -check` over terraform/ (and proof that the check can fail)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tfhelpers import TERRAFORM_DIR, terraform_binary
import pytest

pytestmark = pytest.mark.integration


def _fmt_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-diff", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_terraform_is_fmt_clean() -> None:
    result = _fmt_check(TERRAFORM_DIR)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform`:\n{result.stdout}"


def test_fmt_check_fails_on_misformatted_file(tmp_path: Path) -> None:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform"))
    scheduler = copy / "scheduler.tf"
    scheduler.write_text(
        scheduler.read_text(encoding="utf-8").replace("  name             =", "name="),
        encoding="utf-8",
    )
    result = _fmt_check(copy)
    assert result.returncode != 0
    assert "scheduler.tf" in result.stdout
