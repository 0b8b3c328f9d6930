"""Memory bounded per instance, not per request (issue 22 §2): the caps derive from the
instance's memory and concurrency so that every request at once, each at its caps, fits."""

from __future__ import annotations

import pytest

from shared.core.budget import BASELINE_MIB, BYTES_PER_VALUE, instance_caps
from shared.core.settings import RoitSettings

pytestmark = pytest.mark.unit

BASE = {"base_url": "http://x", "integration_id": "i", "client_id": "a", "client_secret": "b"}


@pytest.mark.parametrize("memory", [256, 512, 1024, 2048, 8192])
@pytest.mark.parametrize("concurrency", [1, 2, 10, 40, 80])
def test_every_request_at_its_caps_at_once_fits_the_instance(memory: int, concurrency: int) -> None:
    settings = RoitSettings.model_validate(
        {**BASE, "instance_memory_mib": memory, "instance_concurrency": concurrency}
    )
    caps = instance_caps(settings)
    per_request = 2 * caps.response_bytes + BYTES_PER_VALUE * caps.response_values
    floors = caps.response_bytes == 256 * 1024 or caps.response_values == 10_000
    if not floors:  # the floors keep a tiny instance usable; above them, the sum fits
        assert concurrency * per_request <= (memory - BASELINE_MIB) * 1024 * 1024
    assert caps.response_bytes <= settings.max_response_bytes
    assert caps.response_values <= settings.max_response_values
    assert caps.message_values <= settings.max_message_values


def test_the_deployed_sizing_gives_the_documented_caps() -> None:
    settings = RoitSettings.model_validate(
        {**BASE, "instance_memory_mib": 512, "instance_concurrency": 10}
    )
    caps = instance_caps(settings)
    assert (caps.response_bytes, caps.response_values) == (8_724_152, 174_483)
    alone = RoitSettings.model_validate(
        {**BASE, "instance_memory_mib": 512, "instance_concurrency": 1}
    )
    assert instance_caps(alone).response_bytes == 32 * 1024 * 1024  # the configured ceiling


def test_the_client_reads_answers_within_the_instance_caps() -> None:
    from shared.roit.client import RoitClient

    settings = RoitSettings.model_validate(
        {**BASE, "instance_memory_mib": 512, "instance_concurrency": 10}
    )
    client = RoitClient(settings)
    try:
        assert client.transport.max_bytes == instance_caps(settings).response_bytes
        assert client.transport.max_values == instance_caps(settings).response_values
    finally:
        client.close()
