"""Every setting the code reads is documented in README.md and docs/DESIGN.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.core.settings import ENV_PREFIX, RoitSettings
from shared.entry.settings import ReprocessSettings
from shared.poll.settings import PollerSettings
from shared.push.settings import DeliverySettings, PushSettings

REPO = Path(__file__).resolve().parents[1]
VARIABLES = sorted(
    {
        f"{ENV_PREFIX}{name.upper()}"
        for cls in (RoitSettings, PollerSettings, PushSettings, DeliverySettings, ReprocessSettings)
        for name in cls.model_fields
    }
)


@pytest.mark.parametrize("document", ["README.md", "docs/DESIGN.md"])
def test_every_setting_is_documented(document: str) -> None:
    text = (REPO / document).read_text()
    missing = [v for v in VARIABLES if f"`{v}`" not in text]
    assert missing == []
