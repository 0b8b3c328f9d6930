"""Stage and zip each function's deployable source, deterministically.

For every function folder ``functions/<name>/`` this writes

* ``<out>/<name>/``: the staged tree Cloud Functions builds from: ``main.py``, the function's own
  ``requirements.txt`` and the ``shared`` package (``shared/`` at the repository root);
* ``<out>/<name>.zip``: that tree as a zip with fixed timestamps, permissions and order, so the
  same sources always give the same bytes;
* ``<out>/<name>.zip.sha256``: the zip's SHA-256 (``sha256sum`` format).

Terraform (``terraform/modules/function``) uploads the zip as an object named by its SHA-256,
so a code change, and only a code change, redeploys a function.

Usage::

    python scripts/package_functions.py [--out build/functions] [names...]

prints one line per function: ``<name> sha256:<hex> <zip path>``.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REPO_ROOT",
    "Package",
    "PackagingError",
    "discover_functions",
    "package_function",
    "package_functions",
]

REPO_ROOT = Path(__file__).resolve().parent.parent

# 1980-01-01 is the earliest time a zip entry can carry.
_ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o644
_IGNORED_DIRS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}
_IGNORED_SUFFIXES = {".pyc", ".pyo"}


class PackagingError(Exception):
    """A function cannot be packaged (missing folder, entry point or requirements)."""


@dataclass(frozen=True)
class Package:
    """One packaged function.

    Attributes:
        name: The function's folder name (= its entry point).
        staged_dir: The staged deployable tree.
        zip_path: The deterministic zip of ``staged_dir``.
        sha256: The zip's SHA-256, hex.
        files: The archive's member names, in archive order.
    """

    name: str
    staged_dir: Path
    zip_path: Path
    sha256: str
    files: tuple[str, ...]


def discover_functions(root: Path = REPO_ROOT) -> list[str]:
    """Names of the function folders under ``functions/``, sorted.

    Args:
        root: The repository root.

    Returns:
        Every direct subfolder of ``functions/`` not starting with ``_`` or ``.``.
    """
    functions_dir = root / "functions"
    if not functions_dir.is_dir():
        return []
    return sorted(
        entry.name
        for entry in functions_dir.iterdir()
        if entry.is_dir()
        and not entry.name.startswith(("_", "."))
        and entry.name not in _IGNORED_DIRS
    )


def _source_files(directory: Path) -> list[Path]:
    files = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part in _IGNORED_DIRS for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in _IGNORED_SUFFIXES:
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(directory).as_posix())


def _stage(name: str, root: Path, staged_dir: Path) -> None:
    function_dir = root / "functions" / name
    if not function_dir.is_dir():
        raise PackagingError(f"{name}: no function folder {function_dir}")
    missing = [f for f in ("main.py", "requirements.txt") if not (function_dir / f).is_file()]
    if missing:
        raise PackagingError(
            f"{name}: {function_dir} lacks {' and '.join(missing)} "
            "(a deployable function needs main.py and its own requirements.txt)"
        )
    shared_dir = root / "shared"
    if not (shared_dir / "__init__.py").is_file():
        raise PackagingError(
            f"{name}: the shared package {shared_dir} (with __init__.py) is missing"
        )

    if staged_dir.exists():
        shutil.rmtree(staged_dir)
    staged_dir.mkdir(parents=True)
    shutil.copyfile(function_dir / "main.py", staged_dir / "main.py")
    shutil.copyfile(function_dir / "requirements.txt", staged_dir / "requirements.txt")
    for source in _source_files(shared_dir):
        target = staged_dir / "shared" / source.relative_to(shared_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def _write_zip(staged_dir: Path, zip_path: Path) -> tuple[str, ...]:
    members = []
    temporary = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for path in _source_files(staged_dir):
            member = path.relative_to(staged_dir).as_posix()
            info = zipfile.ZipInfo(member, date_time=_ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permission bits below are honoured
            info.external_attr = (0o100000 | _FILE_MODE) << 16
            archive.writestr(info, path.read_bytes(), compresslevel=9)
            members.append(member)
    temporary.replace(zip_path)
    return tuple(members)


def package_function(name: str, out_dir: Path, root: Path = REPO_ROOT) -> Package:
    """Stage one function and write its deterministic zip and checksum.

    Args:
        name: The function's folder name under ``functions/``.
        out_dir: Where ``<name>/``, ``<name>.zip`` and ``<name>.zip.sha256`` are written.
        root: The repository root.

    Returns:
        What was written, with the zip's SHA-256.

    Raises:
        PackagingError: the folder, its ``main.py`` or ``requirements.txt``, or
            ``shared`` is missing.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    staged_dir = out_dir / name
    zip_path = out_dir / f"{name}.zip"
    _stage(name, root, staged_dir)
    files = _write_zip(staged_dir, zip_path)
    digest = hashlib.sha256(zip_path.read_bytes()).hexdigest()
    (out_dir / f"{name}.zip.sha256").write_text(f"{digest}  {zip_path.name}\n", encoding="utf-8")
    return Package(name=name, staged_dir=staged_dir, zip_path=zip_path, sha256=digest, files=files)


def package_functions(
    names: list[str] | None = None, out_dir: Path | None = None, root: Path = REPO_ROOT
) -> list[Package]:
    """Package the named functions, or every function folder when ``names`` is empty.

    Args:
        names: Function folder names; ``None`` or empty means all of ``functions/``.
        out_dir: The output folder; ``None`` means ``build/functions`` under ``root``.
        root: The repository root.

    Returns:
        One ``Package`` per function, in the order packaged.

    Raises:
        PackagingError: there is no function to package, or one cannot be packaged.
    """
    selected = list(names) if names else discover_functions(root)
    if not selected:
        raise PackagingError(f"no function folders under {root / 'functions'}")
    target = out_dir if out_dir is not None else root / "build" / "functions"
    return [package_function(name, target, root) for name in selected]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: build/functions at the repository root)",
    )
    parser.add_argument("names", nargs="*", help="function folder names (default: all)")
    args = parser.parse_args(argv)
    try:
        packages = package_functions(args.names, args.out)
    except PackagingError as error:
        print(f"package_functions: error: {error}", file=sys.stderr)
        return 2
    for package in packages:
        print(f"{package.name} sha256:{package.sha256} {package.zip_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
