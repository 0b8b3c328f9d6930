"""The site's hooks: the README becomes the home page with working links, and a link leaving
docs/ becomes text naming the file (the strict build itself runs in `make docs`)."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from docs_scripts import REPO, load

pytestmark = pytest.mark.unit

HOOKS = load("mkdocs_hooks")
DOCS = REPO / "docs"


def test_readme_links_into_docs_are_made_relative_to_docs() -> None:
    text = "see [Local](docs/local.md#prerequisites) and [ROIT](docs/ROIT_API.md)"
    assert HOOKS._rewrite(text, PurePosixPath("."), DOCS) == (
        "see [Local](local.md#prerequisites) and [ROIT](ROIT_API.md)"
    )


def test_links_leaving_docs_become_text_naming_the_file() -> None:
    page = PurePosixPath("docs")
    assert HOOKS._rewrite("[the module](../terraform/README.md)", page, DOCS) == (
        "the module (`terraform/README.md` in the repository)"
    )
    assert HOOKS._rewrite("[`sandbox/README.md`](../sandbox/README.md)", page, DOCS) == (
        "`sandbox/README.md`"
    )


def test_links_inside_docs_and_outside_the_site_are_left_alone() -> None:
    page = PurePosixPath("docs")
    for text in ("[c](concepts.md#the-flows)", "[w](https://example.com/x.md)", "[a](#anchor)"):
        assert HOOKS._rewrite(text, page, DOCS) == text
