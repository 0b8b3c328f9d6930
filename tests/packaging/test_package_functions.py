"""scripts/package_functions.py: staged trees, deterministic zips, clear failures."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "package_functions.py"


def _load() -> ModuleType:
    if "package_functions" in sys.modules:
        return sys.modules["package_functions"]
    spec = importlib.util.spec_from_file_location("package_functions", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["package_functions"] = module
    spec.loader.exec_module(module)
    return module


packaging = _load()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A minimal repository: two functions and the shared package."""
    root = tmp_path / "repo"
    for name in ("alpha", "beta"):
        folder = root / "functions" / name
        folder.mkdir(parents=True)
        (folder / "main.py").write_text(f"def {name}(request):\n    return 'ok'\n")
        (folder / "requirements.txt").write_text("functions-framework==3.10.2\n")
    shared = root / "shared"
    (shared / "sub").mkdir(parents=True)
    (shared / "__init__.py").write_text("")
    (shared / "py.typed").write_text("")
    (shared / "sub" / "__init__.py").write_text("X = 1\n")
    (shared / "__pycache__").mkdir()
    (shared / "__pycache__" / "junk.cpython-311.pyc").write_bytes(b"\0")
    (root / "functions" / "__pycache__").mkdir()
    return root


def test_stages_main_requirements_and_shared(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    [package] = packaging.package_functions(["alpha"], out, root=repo)
    assert package.files == (
        "main.py",
        "requirements.txt",
        "shared/__init__.py",
        "shared/py.typed",
        "shared/sub/__init__.py",
    )
    staged = out / "alpha"
    assert (staged / "main.py").read_text() == (repo / "functions/alpha/main.py").read_text()
    assert not list(staged.rglob("__pycache__"))
    with zipfile.ZipFile(package.zip_path) as archive:
        assert archive.namelist() == list(package.files)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("shared/sub/__init__.py") == b"X = 1\n"
    digest = hashlib.sha256(package.zip_path.read_bytes()).hexdigest()
    assert package.sha256 == digest
    assert (out / "alpha.zip.sha256").read_text() == f"{digest}  alpha.zip\n"


def test_zip_is_deterministic_and_hash_follows_content(repo: Path, tmp_path: Path) -> None:
    first = packaging.package_function("alpha", tmp_path / "one", root=repo)
    # Same content, other mtimes and output folder: same bytes.
    for path in (repo / "shared").rglob("*.py"):
        path.touch()
    second = packaging.package_function("alpha", tmp_path / "two", root=repo)
    assert first.sha256 == second.sha256
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    # A code change in shared/ changes every function's hash.
    (repo / "shared" / "sub" / "__init__.py").write_text("X = 2\n")
    third = packaging.package_function("alpha", tmp_path / "one", root=repo)
    assert third.sha256 != first.sha256


def test_all_functions_by_default(repo: Path, tmp_path: Path) -> None:
    packages = packaging.package_functions(None, tmp_path / "out", root=repo)
    assert [p.name for p in packages] == ["alpha", "beta"]
    assert packaging.discover_functions(repo) == ["alpha", "beta"]


@pytest.mark.parametrize("missing", ["main.py", "requirements.txt"])
def test_fails_clearly_when_a_file_is_missing(repo: Path, tmp_path: Path, missing: str) -> None:
    (repo / "functions" / "beta" / missing).unlink()
    with pytest.raises(packaging.PackagingError, match=f"beta: .* lacks {missing}"):
        packaging.package_functions(None, tmp_path / "out", root=repo)


def test_fails_clearly_for_an_unknown_function(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(packaging.PackagingError, match="gamma: no function folder"):
        packaging.package_functions(["gamma"], tmp_path / "out", root=repo)


def test_cli_prints_one_line_per_function_with_its_hash(tmp_path: Path) -> None:
    names = packaging.discover_functions()
    if not names:
        pytest.skip("no function folders under functions/ yet")
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == names
    for line in lines:
        name, digest, zip_path = line.split()
        assert digest == "sha256:" + hashlib.sha256(Path(zip_path).read_bytes()).hexdigest()
        assert Path(zip_path) == tmp_path / f"{name}.zip"


def test_cli_exits_2_with_a_message_on_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(tmp_path), "no_such_function"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no_such_function: no function folder" in result.stderr
