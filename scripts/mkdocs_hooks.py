"""MkDocs hooks (mkdocs.yml): the README is the site's home page, and links that leave docs/.

The repository's Markdown links files by their place in the repository, so that they work on a
code host and tests/test_repository_stands_alone.py can check them. The site holds docs/ only:
- docs/index.md is replaced by README.md, its ``docs/…`` links made relative to docs/;
- a link to a file outside docs/ (``../terraform/README.md``) becomes its text naming the file
  in the repository, so strict mode still fails on a link that leads nowhere.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any

REPO = Path(__file__).resolve().parents[1]
_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def _outside(text: str, target: str) -> str:
    return text if "`" in text else f"{text} (`{target}` in the repository)"


def _rewrite(markdown: str, page_dir: PurePosixPath, docs: Path) -> str:
    """Links of a page in ``page_dir`` (relative to the repository root), for the site."""

    def one(match: re.Match[str]) -> str:
        text, target = match.group(1), match.group(2)
        path, _, anchor = target.partition("#")
        resolved = (REPO / page_dir / path).resolve()
        if resolved.is_relative_to(docs):
            relative = resolved.relative_to(docs).as_posix() + (f"#{anchor}" if anchor else "")
            if page_dir == PurePosixPath("."):  # the README, shown as docs/index.md
                return f"[{text}]({relative})"
            return match.group(0)
        return _outside(text, resolved.relative_to(REPO).as_posix())

    return _LINK.sub(one, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The README in place of docs/index.md; links leaving docs/ turned into text."""
    docs = Path(config["docs_dir"]).resolve()
    if page.file.src_uri == "index.md":
        return _rewrite((REPO / "README.md").read_text(encoding="utf-8"), PurePosixPath("."), docs)
    page_dir = PurePosixPath("docs") / PurePosixPath(page.file.src_uri).parent
    return _rewrite(markdown, page_dir, docs)
