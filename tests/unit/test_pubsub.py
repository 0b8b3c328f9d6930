"""What Pub/Sub would refuse as a message, decided before any request (shared/pubsub.py)."""

from __future__ import annotations

import pytest

from shared.core.errors import ConfigurationError
from shared.core.pubsub import (
    MAX_ATTRIBUTE_BYTES,
    MAX_MESSAGE_BYTES,
    fit_attribute,
    message_problem,
    message_size,
    topic_path,
)

pytestmark = pytest.mark.unit

ACCEPTED = [
    ("data-only", b"x", {}),
    ("attributes-only", b"", {"k": "v"}),
    ("100-attributes", b"x", {f"k{i}": "v" for i in range(100)}),
    ("key-256-bytes", b"x", {"k" * 256: "v"}),
    ("value-1024-bytes", b"x", {"k": "v" * MAX_ATTRIBUTE_BYTES}),
    ("empty-value", b"x", {"k": ""}),
    ("google-not-goog-prefix", b"x", {"gogle": "v"}),
    ("exactly-the-limit", b"x" * (MAX_MESSAGE_BYTES - 2), {"k": "v"}),
    ("non-ascii", "é".encode(), {"clé": "valeur é"}),
]

REFUSED = [
    ("empty", b"", {}, "needs data or attributes"),
    ("101-attributes", b"x", {f"k{i}": "v" for i in range(101)}, "101 attributes"),
    ("empty-key", b"x", {"": "v"}, "key is empty"),
    ("key-257-bytes", b"x", {"k" * 257: "v"}, "longer than 256"),
    ("key-multibyte-over-256", b"x", {"é" * 129: "v"}, "longer than 256"),
    ("goog-key", b"x", {"goog-x": "v"}, "'goog'"),
    ("GOOG-key-any-case", b"x", {"GoOgle": "v"}, "'goog'"),
    ("value-1025-bytes", b"x", {"k": "v" * (MAX_ATTRIBUTE_BYTES + 1)}, "value is longer"),
    ("value-multibyte-over", b"x", {"k": "é" * 513}, "value is longer"),
    ("lone-surrogate-value", b"x", {"k": "\ud800"}, "lone surrogate"),
    ("lone-surrogate-key", b"x", {"\udfff": "v"}, "lone surrogate"),
    ("not-a-string", b"x", {"k": 1}, "must be strings"),
    ("data-over-limit", b"x" * (MAX_MESSAGE_BYTES + 1), {}, "over Pub/Sub's"),
    ("attributes-tip-over", b"x" * (MAX_MESSAGE_BYTES - 1), {"k": "v"}, "over Pub/Sub's"),
]


@pytest.mark.parametrize(
    ("data", "attributes"), [r[1:] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED]
)
def test_pubsub_accepts(data, attributes) -> None:
    assert message_problem(data, attributes) is None


@pytest.mark.parametrize(
    ("data", "attributes", "why"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_pubsub_refuses(data, attributes, why) -> None:
    problem = message_problem(data, attributes)
    assert problem is not None and why in problem


def test_a_refusal_never_quotes_the_message() -> None:
    problem = message_problem(b"x", {"goog-secret-key": "secret-value" * 100})
    assert problem is not None and "secret" not in problem


def test_message_size_counts_data_keys_and_values_in_bytes() -> None:
    assert message_size(b"abc", {"ké": "vé"}) == 3 + 3 + 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", "short"),
        ("a" * 2000, "a" * MAX_ATTRIBUTE_BYTES),
        ("é" * 600, "é" * 512),  # cut on a character boundary
        ("x\ud800y", "x?y"),
    ],
    ids=["short", "cut", "utf8-boundary", "lone-surrogate"],
)
def test_fit_attribute_makes_any_text_acceptable(value, expected) -> None:
    fitted = fit_attribute(value)
    assert fitted == expected
    assert message_problem(b"x", {"k": fitted}) is None


@pytest.mark.parametrize(
    ("topic", "project", "path"),
    [
        ("t", "p", "projects/p/topics/t"),
        ("projects/q/topics/t", None, "projects/q/topics/t"),
        ("projects/q/topics/t", "p", "projects/q/topics/t"),
    ],
    ids=["short", "full", "full-wins"],
)
def test_topic_path(topic, project, path) -> None:
    assert topic_path(topic, project) == path


def test_a_short_topic_without_a_project_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ROIT_GCP_PROJECT"):
        topic_path("t", None)
