"""doctor's pure parts: Monitoring's recorded answer, which function an environment is for,
token shapes and where a token is in an answer."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from roitctl.doctor.pubsub import backlog_from_series
from roitctl.doctor.run import Kind, infer_kind
from roitctl.doctor.shapes import candidates, find_lifetime_path, find_token_path, shape_settings
from shared.core.settings import ClientAuth, RoitSettings, TokenRequestFormat
from shared.roit.exchange import TokenShape

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data"


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
