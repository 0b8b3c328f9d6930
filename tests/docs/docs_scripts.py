"""The documentation scripts of scripts/ (not a package), imported for the docs tests."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (scripts/ is put on the path, as when it runs)."""
    scripts = str(REPO / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    return importlib.import_module(name)
