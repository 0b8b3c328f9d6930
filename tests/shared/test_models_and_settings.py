"""Models (tolerant for ROIT, strict for our users) and settings validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.core.errors import ConfigurationError, InvalidInputError, MalformedResponseError
from shared.core.inputs import parse_input
from shared.core.settings import RoitSettings, load_settings
from shared.entry.settings import ReprocessSettings
from shared.poll.settings import PollerSettings
from shared.poll.targets import MAX_TARGETS
from shared.push.settings import PushSettings
from shared.roit.models import (
    DeliveryEntity,
    DeliveryMessage,
    PendingEntity,
    PendingItem,
    RequestRecord,
    StatusUpdate,
    unwrap_data,
    unwrap_list,
)

pytestmark = pytest.mark.unit

# ROIT's documented examples (docs/ROIT_API.md), kept verbatim in the repository.
EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "roit-examples"


def _example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def test_documented_examples_parse() -> None:
    for name in ("update-status.response.json", "reprocess.response.200.json"):
        record = RequestRecord.model_validate(unwrap_data(_example(name)))
        assert record.request_id
        assert record.status == "PROCESSING"
    update = parse_input(StatusUpdate, _example("update-status.request.json"))
    assert update.status == "DONE"
    assert update.entry_reference == 1234567890


def test_record_keeps_unknown_fields_and_accepts_both_entry_reference_types() -> None:
    record = RequestRecord.model_validate({"requestId": "r", "entryReference": "12", "extra": [1]})
    assert record.entry_reference == "12"
    assert record.model_dump(by_alias=True, exclude_unset=True) == {
        "requestId": "r",
        "entryReference": "12",
        "extra": [1],
    }
    assert RequestRecord.model_validate({"entryReference": 12}).entry_reference == 12


@pytest.mark.parametrize(
    "body",
    [
        {"timestamp": 1, "status": "success", "data": [{"requestId": "a"}]},
        [{"requestId": "a"}],
        {"timestamp": 1, "status": "success", "data": {"items": [{"requestId": "a"}]}},
        {"content": [{"requestId": "a"}]},
    ],
)
def test_unwrap_list_accepts_plausible_envelopes(body) -> None:
    assert unwrap_list(body) == [{"requestId": "a"}]


def test_unwrap_list_empty_and_malformed() -> None:
    assert unwrap_list({"status": "success", "data": []}) == []
    assert unwrap_list({"status": "success", "data": None}) == []
    with pytest.raises(MalformedResponseError):
        unwrap_list({"status": "success", "data": "nope"})


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.integers() | st.text(), max_size=5))
def test_pending_item_keeps_the_raw_entity_untouched(extra) -> None:
    raw = {**extra, "requestId": "req-1", "entity": "DOCUMENT"}
    item = PendingItem.from_raw(raw)
    assert item.raw == raw
    assert json.dumps(item.raw) == json.dumps(raw)  # same keys, same order, same values
    assert item.record.request_id == "req-1"


def test_pending_item_without_request_id_is_malformed() -> None:
    with pytest.raises(MalformedResponseError):
        PendingItem.from_raw({"entity": "DOCUMENT"})
    with pytest.raises(MalformedResponseError):
        PendingItem.from_raw(["not", "an", "object"])


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"requestId": "r", "reference": "x", "message": "m", "status": "FINISHED"}, "status"),
        ({"requestId": "r", "reference": "x", "status": "DONE"}, "message"),
        ({"requestId": "r", "reference": "x", "status": "DONE", "message": "m", "x": 1}, "<field>"),
        ({"requestId": 5, "reference": "x", "status": "DONE", "message": "m"}, "requestId"),
        ({"requestId": "", "reference": "x", "status": "DONE", "message": "m"}, "requestId"),
    ],
)
def test_status_update_is_strict(payload, field) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_input(StatusUpdate, payload)
    assert info.value.field == field
    assert "FINISHED" not in info.value.message  # input is never quoted back


def test_two_entity_enums_stay_apart() -> None:
    assert "ACCOUNTS_PAYABLE_EXTERNAL" in DeliveryEntity.__members__
    assert "ACCOUNTS_PAYABLE_EXTERNAL" not in PendingEntity.__members__
    with pytest.raises(InvalidInputError):
        parse_input(DeliveryMessage, {"entity": "ERP_PARAMS", "data": [{}]})
    with pytest.raises(InvalidInputError):
        parse_input(DeliveryMessage, {"entity": "SUPPLIER", "data": []})


BASE_ENV = {
    "ROIT_BASE_URL": "https://hom.roit.ai/",
    "ROIT_INTEGRATION_ID": "int-1",
    "ROIT_CLIENT_ID": "id",
    "ROIT_CLIENT_SECRET": "s3cr3t-value",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch):
    for key in list(__import__("os").environ):
        if key.startswith("ROIT_") or key in ("GOOGLE_CLOUD_PROJECT", "GCP_PROJECT"):
            monkeypatch.delenv(key)
    for key, value in BASE_ENV.items():
        monkeypatch.setenv(key, value)
    return monkeypatch


def test_settings_defaults_and_normalisation(env) -> None:
    settings = load_settings(RoitSettings)
    assert settings.base_url == "https://hom.roit.ai"
    assert settings.token_endpoint == "https://hom.roit.ai/auth/api/v1/token"
    assert settings.auth_scheme == "raw"
    assert "s3cr3t-value" not in repr(settings)


def test_missing_setting_names_the_variable(env) -> None:
    env.delenv("ROIT_INTEGRATION_ID")
    with pytest.raises(ConfigurationError, match="ROIT_INTEGRATION_ID: is required"):
        load_settings(RoitSettings)


def test_invalid_setting_names_the_variable_not_the_value(env) -> None:
    env.setenv("ROIT_AUTH_SCHEME", "digest-s3cr3t")
    with pytest.raises(ConfigurationError, match="ROIT_AUTH_SCHEME") as info:
        load_settings(RoitSettings)
    assert "s3cr3t" not in str(info.value)


def test_log_level_is_validated_like_every_setting(env) -> None:
    env.setenv("ROIT_LOG_LEVEL", "warning")
    assert load_settings(RoitSettings).log_level == "WARNING"
    env.setenv("ROIT_LOG_LEVEL", "loud-s3cr3t")
    with pytest.raises(ConfigurationError, match="ROIT_LOG_LEVEL") as info:
        load_settings(RoitSettings)
    assert "s3cr3t" not in str(info.value)


def test_credentials_must_come_from_somewhere(env) -> None:
    env.delenv("ROIT_CLIENT_SECRET")
    with pytest.raises(ConfigurationError, match="ROIT_CREDENTIALS_SECRET"):
        load_settings(RoitSettings)
    env.setenv("ROIT_CREDENTIALS_SECRET", "roit-api-credentials")
    with pytest.raises(ConfigurationError, match="ROIT_CREDENTIALS_SECRET is a short secret name"):
        load_settings(RoitSettings)  # which project's secret? say so at start-up
    env.setenv("ROIT_GCP_PROJECT", "proj")
    assert load_settings(RoitSettings).credentials_secret == "roit-api-credentials"
    env.delenv("ROIT_GCP_PROJECT")
    env.setenv("ROIT_CREDENTIALS_SECRET", "projects/p/secrets/roit-api-credentials")
    assert load_settings(RoitSettings).gcp_project is None


def test_poll_targets(env) -> None:
    env.setenv("ROIT_PENDING_TOPIC", "projects/p/topics/roit-pending")
    env.setenv("ROIT_DEAD_LETTER_TOPIC", "projects/p/topics/roit-pending-dead-letter")
    env.setenv("ROIT_POLL_TARGETS", "document:nfe, DOCUMENT:NFSE,SUPPLIER,DOCUMENT:NFE")
    settings = load_settings(PollerSettings)
    assert settings.poll_targets == [
        (PendingEntity.DOCUMENT, "NFE"),
        (PendingEntity.DOCUMENT, "NFSE"),
        (PendingEntity.SUPPLIER, None),
    ]
    many = ",".join(f"DOCUMENT:T{i}" for i in range(MAX_TARGETS))
    env.setenv("ROIT_POLL_TARGETS", many)
    assert len(load_settings(PollerSettings).poll_targets) == MAX_TARGETS
    env.setenv("ROIT_POLL_TARGETS", f"{many},SUPPLIER")
    with pytest.raises(ConfigurationError, match=r"ROIT_POLL_TARGETS: .*at most 64"):
        load_settings(PollerSettings)
    env.setenv("ROIT_POLL_TARGETS", "INVOICE")
    with pytest.raises(ConfigurationError, match=r"ROIT_POLL_TARGETS: .*unknown entity") as caught:
        load_settings(PollerSettings)
    assert "INVOICE" not in str(caught.value)  # the setting is named, its value never echoed


def test_topic_id_needs_a_project(env) -> None:
    env.setenv("ROIT_DEAD_LETTER_TOPIC", "roit-status-dead-letter")
    with pytest.raises(ConfigurationError, match="ROIT_GCP_PROJECT"):
        load_settings(PushSettings)
    env.setenv("GOOGLE_CLOUD_PROJECT", "proj")
    assert load_settings(PushSettings).gcp_project == "proj"


def test_webhook_mode_needs_secrets(env) -> None:
    with pytest.raises(ConfigurationError, match="ROIT_WEBHOOK_SECRETS"):
        load_settings(ReprocessSettings)
    env.setenv("ROIT_REPROCESS_CALLER_AUTH", "iam")
    assert load_settings(ReprocessSettings).reprocess_caller_auth == "iam"
