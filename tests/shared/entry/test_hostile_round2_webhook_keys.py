"""Trivially guessable webhook keys are refused whatever their length (issue 22 §4): HMAC pads
a key with zeros, so an all-zero key signs as the empty key does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.errors import ConfigurationError
from shared.entry.key_strength import weakness
from shared.entry.webhook_secrets import MIN_WEBHOOK_SECRET_BYTES, parse_webhook_secrets

pytestmark = pytest.mark.unit


def whsec(key: bytes, *, padded: bool = True) -> str:
    encoded = base64.b64encode(key).decode()
    return "whsec_" + (encoded if padded else encoded.rstrip("="))


def test_an_all_zero_key_signs_exactly_as_the_empty_key() -> None:
    """Why the class matters: a signature made without any key at all would pass."""
    for size in (24, 32, 64):
        assert (
            hmac.new(b"\0" * size, b"m", hashlib.sha256).digest()
            == hmac.new(b"", b"m", hashlib.sha256).digest()
        )


WEAK = [
    *(pytest.param(bytes([b]) * n, id=f"byte{b:02x}x{n}")
      for b in (0, 0x41, 0xFF) for n in (24, 32, 64, 200)),
    pytest.param(b"ab" * 16, id="two-byte-pattern"),
    pytest.param(b"0123456789abcdef" * 4, id="16-byte-pattern-repeated"),
    pytest.param(bytes(range(32)), id="counting"),
    pytest.param(bytes(range(100, 228, 4)), id="counting-by-4"),
    pytest.param(b"\0" * 8 + bytes(range(16)), id="zeros-then-counting"),
    pytest.param(bytes(range(1, 15)) + b"\0" * 18, id="trailing-zeros"),
    pytest.param(b"password" * 3, id="password-x3"),
    pytest.param(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", id="almost-all-one-byte"),
    pytest.param(b"short-key", id="short"),
    pytest.param(b"", id="empty"),
    pytest.param(random.Random(1).randbytes(23), id="random-but-23-bytes"),
    pytest.param(bytes(random.Random(2).choices(b"abcdefgh", k=64)), id="eight-letters"),
    pytest.param(bytes(random.Random(3).choices(range(16), weights=[40] + [1] * 15, k=64)),
                 id="skewed"),
]  # fmt: skip


@pytest.mark.parametrize("key", WEAK)
@pytest.mark.parametrize("padded", [True, False])
def test_trivially_guessable_keys_are_refused_by_position_never_by_value(
    key: bytes, padded: bool
) -> None:
    with pytest.raises(ValueError, match="secret #2 has a") as caught:
        parse_webhook_secrets(
            f"{whsec(random.Random(0).randbytes(32))} {whsec(key, padded=padded)}"
        )
    encoded = base64.b64encode(key).decode().rstrip("=")
    assert not encoded or encoded not in str(caught.value)


@given(
    unit=st.binary(min_size=1, max_size=8),
    repeats=st.integers(min_value=3, max_value=40),
)
def test_any_short_pattern_repeated_to_any_length_is_refused(unit: bytes, repeats: int) -> None:
    key = unit * repeats
    assert weakness(key, MIN_WEBHOOK_SECRET_BYTES) is not None


@given(key=st.binary(max_size=MIN_WEBHOOK_SECRET_BYTES - 1))
def test_any_key_shorter_than_24_bytes_is_refused(key: bytes) -> None:
    assert weakness(key, MIN_WEBHOOK_SECRET_BYTES) is not None


@given(alphabet=st.lists(st.integers(0, 255), min_size=1, max_size=15, unique=True),
       data=st.data())  # fmt: skip
def test_any_key_of_fewer_than_16_distinct_bytes_is_refused(alphabet: list[int], data) -> None:
    key = bytes(data.draw(st.lists(st.sampled_from(alphabet), min_size=24, max_size=128)))
    assert weakness(key, MIN_WEBHOOK_SECRET_BYTES) is not None


@pytest.mark.parametrize("size", [24, 32, 48, 64, 100])
def test_random_keys_are_accepted(size: int) -> None:
    rng = random.Random(size)
    for _ in range(2_000):
        assert weakness(rng.randbytes(size), MIN_WEBHOOK_SECRET_BYTES) is None


def test_an_all_zero_key_stops_the_cold_start(monkeypatch) -> None:
    from shared.core.settings import load_settings
    from shared.entry.settings import ReprocessSettings

    for name, value in {"ROIT_BASE_URL": "http://roit.test", "ROIT_INTEGRATION_ID": "i",
                        "ROIT_CLIENT_ID": "a", "ROIT_CLIENT_SECRET": "b"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ROIT_WEBHOOK_SECRETS", "whsec_" + "A" * 43 + "=")  # 32 zero bytes
    with pytest.raises(ConfigurationError, match="ROIT_WEBHOOK_SECRETS"):
        load_settings(ReprocessSettings)
