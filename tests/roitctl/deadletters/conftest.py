"""The dead-letter tests' fixture: a topic family of their own per test
(:class:`deadletters_helpers.Family`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from deadletters_helpers import Family

from devstack.stack import wiring


@pytest.fixture
def family(pubsub_emulator, monkeypatch) -> Iterator[Family]:
    project = f"replay-{uuid.uuid4().hex[:8]}"
    publisher, subscriber = wiring.emulator_clients(pubsub_emulator.host)
    found = Family(project, pubsub_emulator.host, publisher, subscriber)
    found.create("load", "load-sub")
    found.create("load-dead-letter", "load-dead-letter-sub")
    for name, value in found.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield found
    finally:
        subscriber.close()
        publisher.stop()
