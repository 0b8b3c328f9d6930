"""roitctl's pure parts: env files, a deployed function's recorded configuration, Monitoring's
recorded answer, dead-letter attributes, token shapes and where a token is in an answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from devstack.stack import wiring
from roitctl.cli import parse_duration
from roitctl.deadletters import (
    error_of,
    replay_attributes,
    replay_count,
    source_subscription,
    summarize,
)
from roitctl.doctor import Kind, infer_kind
from roitctl.environment import EnvFileError, command_environment, deployment_of, read_env_file
from roitctl.layout import Layout, source_topic_of
from roitctl.lease import Received
from roitctl.pubsubcheck import backlog_from_series
from roitctl.replay import ReplayOptions
from roitctl.shapes import candidates, find_lifetime_path, find_token_path, shape_settings
from shared.exchange import TokenShape
from shared.settings import ClientAuth, RoitSettings, TokenRequestFormat

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[2]


def test_env_file_lines_quotes_comments_and_export(tmp_path) -> None:
    path = tmp_path / "f.env"
    path.write_text(
        "# a comment\n\nexport ROIT_BASE_URL=https://hom.roit.ai\n"
        'ROIT_TOKEN_EXTRA_FIELDS=\'{"grant_type":"client_credentials"}\'\n'
        'ROIT_LOG_LEVEL="DEBUG"\nEMPTY=\nWITH_EQUALS=a=b\n'
    )
    assert read_env_file(path) == {
        "ROIT_BASE_URL": "https://hom.roit.ai",
        "ROIT_TOKEN_EXTRA_FIELDS": '{"grant_type":"client_credentials"}',
        "ROIT_LOG_LEVEL": "DEBUG",
        "EMPTY": "",
        "WITH_EQUALS": "a=b",
    }


def test_env_file_as_json_object(tmp_path) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps({"ROIT_BASE_URL": "https://hom.roit.ai"}))
    assert read_env_file(path) == {"ROIT_BASE_URL": "https://hom.roit.ai"}


def test_env_file_as_gclouds_description_of_a_function(tmp_path) -> None:
    path = tmp_path / "poll-pending.json"
    path.write_text((DATA / "function_v2.json").read_text())
    env = read_env_file(path)
    assert env["ROIT_PENDING_TOPIC"] == "projects/acme-erp-prod/topics/roit-pending"
    assert infer_kind(env) is Kind.POLL_PENDING


def test_a_bad_env_file_names_the_line_never_the_value(tmp_path) -> None:
    path = tmp_path / "f.env"
    path.write_text("ROIT_A=1\nthis is hunter2 not a pair\n")
    with pytest.raises(EnvFileError) as caught:
        read_env_file(path)
    assert ":2:" in str(caught.value) and "hunter2" not in str(caught.value)


def test_an_overlay_replaces_every_roit_variable_of_the_shell() -> None:
    shell = {"PATH": "/bin", "ROIT_BASE_URL": "http://shell", "ROIT_AUTH_SCHEME": "bearer"}
    env = command_environment(shell, {"ROIT_BASE_URL": "https://hom.roit.ai"})
    assert env == {"PATH": "/bin", "ROIT_BASE_URL": "https://hom.roit.ai"}
    assert command_environment(shell) == shell


def test_a_deployed_functions_environment_from_its_recorded_configuration() -> None:
    deployment = deployment_of(json.loads((DATA / "function_v2.json").read_text()))
    assert deployment.name == "poll-pending"
    assert deployment.entry_point == "poll_pending"
    assert deployment.environment["ROIT_BASE_URL"] == "https://hom.roit.ai"
    assert deployment.environment["ROIT_PENDING_TOPIC"].endswith("/topics/roit-pending")
    assert deployment.secret_variables == ["ROIT_WEBHOOK_SECRETS"]
    assert "ROIT_WEBHOOK_SECRETS" not in deployment.environment
    assert infer_kind(deployment.environment) is Kind.POLL_PENDING


def test_backlogs_from_monitorings_recorded_answer() -> None:
    from google.cloud import monitoring_v3

    doc = json.loads((DATA / "timeseries.json").read_text())
    series = [monitoring_v3.TimeSeries.from_json(json.dumps(item)) for item in doc]
    backlogs = backlog_from_series(series)
    assert backlogs["roit-status-dead-letter-sub"].count == 3  # the newest point
    assert backlogs["roit-status-dead-letter-sub"].oldest_age_s == 7260
    assert backlogs["roit-deliveries-dead-letter-sub"].count == 0
    assert backlogs["roit-deliveries-dead-letter-sub"].oldest_age_s is None


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"ROIT_PENDING_TOPIC": "t"}, Kind.POLL_PENDING),
        ({"ROIT_DEAD_LETTER_TOPIC": "t", "ROIT_DELIVERY_MAX_BATCH": "5"}, Kind.REGISTER_DELIVERY),
        ({"ROIT_DEAD_LETTER_TOPIC": "t"}, Kind.UPDATE_STATUS),
        ({"ROIT_REPROCESS_CALLER_AUTH": "iam"}, Kind.REPROCESS),
        ({"ROIT_BASE_URL": "x"}, None),
    ],
)
def test_which_function_an_environment_is_for(env, kind) -> None:
    assert infer_kind(env) is kind


def test_the_layout_is_terraforms_and_the_local_stacks() -> None:
    layout = Layout("p")
    assert sorted(layout.topics()) == sorted(
        t for topic in wiring.TOPICS for t in (topic, wiring.dead_letter_topic(topic))
    )
    subscriptions = {name for name, _, _ in layout.wiring()}
    assert subscriptions == {
        wiring.ERP_SUBSCRIPTION,
        *(p.name for p in wiring.PUSH_SUBSCRIPTIONS),
        *(wiring.dead_letter_subscription(t) for t in wiring.TOPICS),
    }
    pubsub_tf = (REPO / "terraform" / "pubsub.tf").read_text()
    assert all(f'"{name}"' in pubsub_tf for name in layout.subscriptions())
    assert '"${each.value}-dead-letter-sub"' in pubsub_tf
    assert source_topic_of("roit-status-dead-letter") == "roit-status"
    assert source_topic_of("roit-status") is None


PUSH_DEAD_LETTER = {
    "requestId": "r1",
    "correlationId": "c1",
    "error": "roit_rejected_422",
    "reason": "ROIT answered 422",
    "originalMessageId": "17",
    "failedAt": "2026-11-24T10:00:00+00:00",
    "sourceSubscription": "projects/p/subscriptions/roit-status-push",
}
PUBSUB_DEAD_LETTER = {
    "requestId": "r1",
    "CloudPubSubDeadLetterSourceDeliveryCount": "5",
    "CloudPubSubDeadLetterSourceSubscription": "roit-status-push",
    "CloudPubSubDeadLetterSourceSubscriptionProject": "p",
    "CloudPubSubDeadLetterSourceTopicPublishTime": "2026-11-24T10:00:00Z",
}


def test_replay_keeps_the_original_attributes_only_and_counts() -> None:
    assert replay_attributes(PUSH_DEAD_LETTER) == {
        "requestId": "r1",
        "correlationId": "c1",
        "replayCount": "1",
    }
    assert replay_attributes(PUBSUB_DEAD_LETTER) == {"requestId": "r1", "replayCount": "1"}
    again = replay_attributes({**PUSH_DEAD_LETTER, "replayCount": "2"})
    assert again["replayCount"] == "3"
    remainder = {**PUSH_DEAD_LETTER, "itemsDelivered": "2", "itemsTotal": "4"}
    assert "itemsDelivered" not in replay_attributes(remainder)
    assert replay_count({"replayCount": "junk"}) == 0


def test_error_codes_and_where_a_dead_letter_came_from() -> None:
    assert error_of(PUSH_DEAD_LETTER) == "roit_rejected_422"
    assert error_of(PUBSUB_DEAD_LETTER) == "max_delivery_attempts"
    assert error_of({"a": "b"}) == "unknown"
    expected = "projects/p/subscriptions/roit-status-push"
    assert source_subscription(PUSH_DEAD_LETTER, "other") == expected
    assert source_subscription(PUBSUB_DEAD_LETTER, "other") == expected
    no_project = {"CloudPubSubDeadLetterSourceSubscription": "roit-status-push"}
    assert source_subscription(no_project, "p") == expected
    assert source_subscription({"error": "unreadable_entity"}, "p") is None


def _received(age: timedelta, **attributes: str) -> Received:
    now = datetime.now(UTC)
    return Received("ack", f"m{age.seconds}", b"{}", attributes, now - age)


def test_summary_counts_errors_keeps_the_oldest_and_few_reasons() -> None:
    messages = [
        _received(timedelta(minutes=5), error="a", reason="first"),
        _received(timedelta(hours=2), error="a", reason="second " + "x" * 400),
        _received(timedelta(minutes=1), error="b", reason="first"),
        _received(timedelta(minutes=2), reason="third"),
        _received(timedelta(minutes=3), error="c", reason="fourth"),
    ]
    summary = summarize("s", messages, complete=True)
    assert summary.count == 5
    assert summary.by_error == {"a": 2, "b": 1, "unknown": 1, "c": 1}
    assert summary.oldest == messages[1].publish_time
    assert len(summary.reasons) == 3 and summary.reasons[0] == "first"
    assert len(summary.reasons[1]) == 160
    doc = summary.to_json()
    assert "messages" not in doc and doc["count"] == 5
    assert "data" in summary.to_json(show=True)["messages"][0]


def test_replay_filters() -> None:
    now = datetime.now(UTC)
    old = _received(timedelta(hours=3), error="a")
    new = _received(timedelta(minutes=1), error="b")
    assert ReplayOptions(errors=frozenset({"a"})).selects(old, now)
    assert not ReplayOptions(errors=frozenset({"a"})).selects(new, now)
    assert ReplayOptions(older_than=timedelta(hours=1)).selects(old, now)
    assert not ReplayOptions(older_than=timedelta(hours=1)).selects(new, now)
    assert ReplayOptions(newer_than=timedelta(hours=1)).selects(new, now)
    assert not ReplayOptions(newer_than=timedelta(hours=1)).selects(old, now)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604800), ("1.5h", 5400)]
)
def test_durations(text, seconds) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_a_bad_duration_is_refused() -> None:
    import typer

    with pytest.raises(typer.BadParameter):
        parse_duration("yesterday")


# --- token shapes ---------------------------------------------------------------------------


def test_candidates_start_with_the_configuration_and_cover_every_shape_once() -> None:
    configured = TokenShape(url="u", extra_fields={"scope": "s"})
    found = candidates(configured)
    assert found[0].shape == configured
    shapes = {(c.shape.request_format, c.shape.client_auth) for c in found}
    assert (TokenRequestFormat.FORM, ClientAuth.BASIC) in shapes
    assert (TokenRequestFormat.FORM, ClientAuth.BODY) in shapes
    assert len(found) == 4  # the JSON clientId shape *is* the configured one
    for candidate in found[1:]:
        assert candidate.shape.extra_fields["scope"] == "s"  # a configured scope stays
        if candidate.shape.request_format is TokenRequestFormat.FORM:
            assert candidate.shape.extra_fields["grant_type"] == "client_credentials"


def _jwt() -> str:
    return jwt.encode({"exp": 2_000_000_000}, "k" * 32, algorithm="HS256")


def test_where_the_token_is() -> None:
    token = _jwt()
    assert find_token_path({"data": {"token": token}}, "data.token") == "data.token"
    assert find_token_path({"access_token": "opaque-1"}, "data.token") == "access_token"
    assert find_token_path({"result": {"auth": {"bearer": token}}}, "x") == "result.auth.bearer"
    assert find_token_path({"access_token": "has space"}, "data.token") is None
    assert find_token_path({"message": "no"}, "data.token") is None
    assert find_lifetime_path({"expires_in": 3600}, "data.expiresIn") == "expires_in"
    assert find_lifetime_path({"data": {"expiresIn": "60"}}, "data.expiresIn") == "data.expiresIn"
    assert find_lifetime_path({"expires_in": -1}, "data.expiresIn") is None


def test_the_settings_that_get_a_shape_only_those_that_change() -> None:
    settings = RoitSettings.model_validate(
        {"base_url": "http://x", "integration_id": "i", "client_id": "a", "client_secret": "b"}
    )
    basic = TokenShape.from_settings(settings).but(
        request_format=TokenRequestFormat.FORM,
        client_auth=ClientAuth.BASIC,
        extra_fields={"grant_type": "client_credentials"},
        response_field="access_token",
        expires_in_field="expires_in",
    )
    assert shape_settings(basic, settings) == [
        "ROIT_TOKEN_REQUEST_FORMAT=form",
        "ROIT_TOKEN_CLIENT_AUTH=basic",
        'ROIT_TOKEN_EXTRA_FIELDS=\'{"grant_type":"client_credentials"}\'',
        "ROIT_TOKEN_RESPONSE_FIELD=access_token",
        "ROIT_TOKEN_EXPIRES_IN_FIELD=expires_in",
    ]
    assert shape_settings(TokenShape.from_settings(settings), settings) == []
