"""Stores for the idempotency tests: the per-instance one, and Firestore on the real emulator
(each test in a collection of its own)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from idem_helpers import Clock

from shared.idempotency.base import IdempotencyStore
from shared.idempotency.firestore import FirestoreStore
from shared.idempotency.memory import MemoryStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def firestore_env(firestore_emulator) -> Iterator[Callable[..., FirestoreStore]]:  # type: ignore[no-untyped-def]
    """``make(clock=...)``: FirestoreStores on the emulator sharing one fresh collection."""
    os.environ["FIRESTORE_EMULATOR_HOST"] = firestore_emulator.host
    collection = f"test-{uuid.uuid4().hex[:12]}"

    def make(**kwargs: object) -> FirestoreStore:
        return FirestoreStore(firestore_emulator.project, collection=collection, **kwargs)  # type: ignore[arg-type]

    yield make


@pytest.fixture(params=["memory", "firestore"])
def stores(request: pytest.FixtureRequest, clock: Clock) -> Callable[[], IdempotencyStore]:
    """Two views of one store (two instances): the same MemoryStore twice (one instance), or
    two FirestoreStores on one collection."""
    if request.param == "memory":
        shared = MemoryStore(clock=clock)
        return lambda: shared
    make = request.getfixturevalue("firestore_env")
    return lambda: make(clock=clock)
