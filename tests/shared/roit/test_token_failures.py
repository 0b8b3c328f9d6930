"""A failed token exchange is a configuration or upstream failure, never the caller's fault and
never ambiguous: each kind names the setting to check. Against the real sandbox."""

from __future__ import annotations

import pytest

from shared.core.errors import Failure, TokenExchangeError

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("fault", "failure", "setting"),
    [
        ({"fail_next": 9, "error_status": 404}, Failure.CONFIGURATION, "ROIT_TOKEN_URL"),
        ({"fail_next": 9, "error_status": 405}, Failure.CONFIGURATION, "ROIT_TOKEN_URL"),
        ({"fail_next": 9, "error_status": 400}, Failure.CONFIGURATION, "ROIT_TOKEN_REQUEST_FORMAT"),
        ({"fail_next": 9, "error_status": 403}, Failure.CONFIGURATION, "ROIT_CREDENTIALS_SECRET"),
        ({"fail_next": 9, "error_status": 500}, Failure.UPSTREAM, "ROIT_TOKEN_URL"),
        ({"fail_next": 9, "error_status": 503}, Failure.UPSTREAM, "ROIT_TOKEN_URL"),
        ({"rate_limit_next": 9, "retry_after": 0}, Failure.UPSTREAM, "ROIT_TOKEN_URL"),
        ({"redirect_next": 9}, Failure.CONFIGURATION, "ROIT_TOKEN_URL"),
        ({"malformed_next": 9}, Failure.CONFIGURATION, "ROIT_TOKEN_URL"),
        ({"token_missing_next": 9}, Failure.CONFIGURATION, "ROIT_TOKEN_RESPONSE_FIELD"),
        ({"token_bad_chars_next": 9}, Failure.CONFIGURATION, "ROIT_TOKEN_RESPONSE_FIELD"),
        ({"drop_next": 9}, Failure.UPSTREAM, "ROIT_TOKEN_URL"),
    ],
)
def test_each_token_endpoint_failure_names_what_to_check(
    sandbox, make_client, sleeps, fault, failure, setting
) -> None:
    (request_id,) = sandbox.control.reset(documents=1)
    sandbox.control.set_fault("token", **fault)
    client = make_client(sleep=sleeps, retry_max_attempts=3)
    with pytest.raises(TokenExchangeError) as caught:
        client.attachments(request_id)
    error = caught.value
    assert (error.failure, error.ambiguous) == (failure, False)
    assert setting in (error.setting or ""), error.setting
    assert setting in error.message
    assert "attachs" not in sandbox.control.stats()["calls"]  # the call itself never left
    assert "abc\r\n" not in error.message and "X-Evil" not in error.message


def test_a_wrong_token_url_is_named(sandbox, make_client) -> None:
    (request_id,) = sandbox.control.reset(documents=1)
    for url, failure in (
        ("/no/such/token/path", Failure.CONFIGURATION),  # the sandbox answers 404
        ("http://127.0.0.1:9/token", Failure.UPSTREAM),  # nothing listens there
        ("http://exa mple.invalid/token", Failure.UPSTREAM),  # not a URL httpx can call
    ):
        client = make_client(token_url=url, retry_max_attempts=1)
        with pytest.raises(TokenExchangeError) as caught:
            client.attachments(request_id)
        assert caught.value.failure is failure, url
        assert "ROIT_TOKEN_URL" in (caught.value.setting or "")


def test_a_token_url_of_another_scheme_stops_the_cold_start(sandbox) -> None:
    from pydantic import ValidationError

    from shared.core.settings import RoitSettings

    with pytest.raises(ValidationError, match="token_url"):
        RoitSettings.model_validate(
            {"base_url": sandbox.url, "integration_id": "i", "client_id": "a",
             "client_secret": "b", "token_url": "ftp://example.invalid/token"}
        )  # fmt: skip


def test_the_token_endpoint_failing_is_retried_within_the_budget(
    sandbox, make_client, sleeps
) -> None:
    (request_id,) = sandbox.control.reset(documents=1)
    sandbox.control.set_fault("token", fail_next=2, error_status=503)
    client = make_client(sleep=sleeps, retry_max_attempts=4)
    assert client.attachments(request_id)
    assert sandbox.control.stats()["calls"]["token"] == {"503": 2, "200": 1}
    assert len(sleeps.delays) == 2
