"""The secret cache: a TTL on an injected clock, one read at a time, errors naming the setting
(shared/secrets.py). The backend is in memory; time is a number the test moves."""

from __future__ import annotations

import threading

import pytest

from shared.core.errors import Failure
from shared.core.secrets import SecretAccessError, SecretProvider

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Memory(SecretProvider):
    """Secrets in a dict; each read is recorded."""

    def __init__(self, values: dict[str, str], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.values = values
        self.reads: list[str] = []

    def _fetch(self, name: str) -> str:
        self.reads.append(name)
        if name not in self.values:
            raise SecretAccessError(f"secret {name} not found")
        return self.values[name]


@pytest.mark.parametrize(
    ("elapsed", "value", "reads"),
    [(0.0, "v1", 1), (29.9, "v1", 1), (30.0, "v2", 2), (3600.0, "v2", 2)],
    ids=["at-once", "just-before-ttl", "at-ttl", "long-after"],
)
def test_a_value_is_served_from_the_cache_until_its_ttl(elapsed, value, reads) -> None:
    clock = Clock()
    provider = Memory({"s": "v1"}, ttl_s=30.0, clock=clock)
    assert provider.get("s") == "v1"
    provider.values["s"] = "v2"  # rotated
    clock.now += elapsed
    assert provider.get("s") == value
    assert len(provider.reads) == reads


def test_a_rotation_is_picked_up_by_each_secret_on_its_own_ttl() -> None:
    clock = Clock()
    provider = Memory({"a": "1", "b": "1"}, ttl_s=10.0, clock=clock)
    provider.get("a")
    clock.now += 6
    provider.get("b")
    provider.values.update(a="2", b="2")
    clock.now += 5  # a is 11 s old, b 5 s
    assert (provider.get("a"), provider.get("b")) == ("2", "1")


def test_invalidate_reads_again() -> None:
    provider = Memory({"s": "v1"}, clock=Clock())
    provider.get("s")
    provider.values["s"] = "v3"
    provider.invalidate("s")
    assert provider.get("s") == "v3"
    assert provider.reads == ["s", "s"]


def test_a_failed_read_names_the_setting_and_is_not_cached() -> None:
    provider = Memory({}, clock=Clock())
    with pytest.raises(SecretAccessError) as caught:
        provider.get("missing", setting="ROIT_CREDENTIALS_SECRET")
    assert caught.value.setting == "ROIT_CREDENTIALS_SECRET"
    assert caught.value.failure is Failure.CONFIGURATION
    provider.values["missing"] = "now there"
    assert provider.get("missing") == "now there"


class _Arrivals(dict[str, threading.Lock]):
    """The provider's per-secret locks, counting the callers that came for one: every caller
    past the cache's fast path asks for the lock once."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.all_here = threading.Barrier(expected)

    def setdefault(self, key: str, default: threading.Lock) -> threading.Lock:  # type: ignore[override]
        lock = super().setdefault(key, default)
        threading.Thread(target=self.all_here.wait, args=(10,), daemon=True).start()
        return lock


def test_concurrent_cold_reads_share_one_fetch() -> None:
    callers = 20
    calls: list[str] = []
    arrivals = _Arrivals(callers + 1)

    class Slow(SecretProvider):  # a backend that holds the read until every caller waits
        def _fetch(self, name: str) -> str:
            calls.append(name)
            arrivals.all_here.wait(10)  # every caller is past the fast path, at the lock
            return "1"

    provider = Slow()
    provider._locks = arrivals  # type: ignore[assignment]
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(provider.get("a"))) for _ in range(callers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert calls == ["a"] and results == ["1"] * callers
