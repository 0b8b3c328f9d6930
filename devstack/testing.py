"""Test support shared by every test tier (imported by `tests/conftest.py`).

Import it as `from devstack.testing import require_tool`: `from conftest import ...` is
ambiguous once several test folders have their own conftest.py.
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

__all__ = ["require_tool", "tool_missing"]


def tool_missing(message: str) -> NoReturn:
    """Fail when running in CI (`CI=true`), else skip, with `message` saying what to install.

    Raises:
        pytest.fail.Exception / pytest.skip.Exception: always.
    """
    import pytest

    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"{message} (CI=true: a missing tool is a failure)", pytrace=False)
    pytest.skip(message)


def require_tool(name: str, install_hint: str) -> str:
    """Path of the external tool `name` (gcloud, java, terraform...).

    If it is missing: `pytest.fail` when `CI=true`, else `pytest.skip`, saying what to install.
    """
    path = shutil.which(name)
    if path is None:
        tool_missing(f"`{name}` is not installed; install {install_hint}")
    return path
