"""The sandbox and the connector each write the contract's enums on their own (the sandbox
is the connector's test oracle); this is where a disagreement between them shows up."""

from __future__ import annotations

import pytest

import sandbox.models as sandbox_models
from shared.roit import models as shared_models

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", ["PendingEntity", "DeliveryEntity", "RequestStatus"])
def test_enums_agree(name: str) -> None:
    ours = [e.value for e in getattr(shared_models, name)]
    theirs = [e.value for e in getattr(sandbox_models, name)]
    assert ours == theirs
