"""Every setting the code reads is documented, in the one reference the guides point to.

docs/configuration.md is generated from the settings models (scripts/gen_docs.py; its staleness
and its Terraform column are checked in tests/docs/test_docs_generated.py); this checks the
outcome from the reader's side: each variable has a row there, and the README leads to it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.core.settings import ENV_PREFIX, RoitSettings
from shared.entry.settings import ReprocessSettings
from shared.poll.settings import PollerSettings
from shared.push.settings import DeliverySettings, PushSettings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[1]
VARIABLES = sorted(
    {
        f"{ENV_PREFIX}{name.upper()}"
        for cls in (RoitSettings, PollerSettings, PushSettings, DeliverySettings, ReprocessSettings)
        for name in cls.model_fields
    }
)


def test_every_setting_is_documented() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [v for v in VARIABLES if f"| `{v}` |" not in text]
    assert missing == []


@pytest.mark.parametrize("document", ["README.md", "docs/concepts.md"])
def test_the_guides_lead_to_the_reference(document: str) -> None:
    assert "configuration.md" in (REPO / document).read_text(encoding="utf-8")
