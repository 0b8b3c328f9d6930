"""The configurable token exchange end to end: every token-endpoint shape the sandbox serves
(roit-json, oauth2-form, oauth2-basic), with and without a required scope, JWT or opaque
tokens, ``raw`` or ``bearer`` Authorization, through a real ``RoitClient`` and through
functions under functions-framework; opaque short-lived tokens are renewed before their
``expires_in`` (the sandbox never answers 401)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from functions_framework import create_app
from roit_pending import pending

from devstack.processes.factories import REPO_ROOT, function_process
from sandbox.control import SandboxControl
from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient
from shared.roit.models import DeliveryEntity, DeliveryHeader, PendingEntity

pytestmark = pytest.mark.integration

GRANT = {"grant_type": "client_credentials"}
SCOPE = {"scope": "roit.integration"}
SHAPES: dict[str, dict[str, Any]] = {
    "roit-json": {},
    "oauth2-form": {
        "token_request_format": "form",
        "token_client_id_field": "client_id",
        "token_client_secret_field": "client_secret",
        "token_extra_fields": GRANT,
        "token_response_field": "access_token",
        "token_expires_in_field": "expires_in",
    },
    "oauth2-basic": {
        "token_request_format": "form",
        "token_client_auth": "basic",
        "token_extra_fields": GRANT,
        "token_response_field": "access_token",
        "token_expires_in_field": "expires_in",
    },
}


def token_settings(shape: str, *, scope: bool, scheme: str) -> dict[str, Any]:
    """The ``ROIT_TOKEN_*`` settings for ``shape`` (a scope joins the extra fields)."""
    settings = {**SHAPES[shape], "auth_scheme": scheme}
    if scope:
        settings["token_extra_fields"] = {**settings.get("token_extra_fields", {}), **SCOPE}
    return settings


def as_env(settings: dict[str, Any]) -> dict[str, str]:
    """The same settings as a function's environment variables."""
    return {
        f"ROIT_{name.upper()}": json.dumps(value) if isinstance(value, dict) else str(value)
        for name, value in settings.items()
    }


def no_401(control: SandboxControl) -> None:
    calls = control.stats()["calls"]
    refused = {endpoint: c["401"] for endpoint, c in calls.items() if "401" in c}
    assert refused == {}


@pytest.fixture(params=["raw", "bearer"])
def target(request, sandbox, bearer_sandbox) -> Iterator[tuple[str, SandboxControl, str]]:
    """(scheme, control, url) of a reset sandbox checking that scheme; its token
    configuration comes back to the defaults after the test, whatever happened."""
    if request.param == "raw":
        control, url = sandbox.control, sandbox.url
    else:
        control, url = SandboxControl(bearer_sandbox.url), bearer_sandbox.url
        control.reset()
    original = control.credentials()
    try:
        yield request.param, control, url
    finally:
        control.configure(
            token_lifetime_s=original.token_lifetime_s,
            token_shape=original.token_shape,
            token_required_fields=original.token_required_fields,
            opaque_tokens=original.opaque_tokens,
        )
        if control is not sandbox.control:
            control.close()


def client_for(
    url: str, control: SandboxControl, *, clock: Callable[[], float] | None = None, **settings: Any
) -> RoitClient:
    creds = control.credentials()
    values = {
        "base_url": url,
        "integration_id": creds.integration_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "retry_max_attempts": 1,
        **settings,
    }
    return RoitClient(RoitSettings.model_validate(values), **({"clock": clock} if clock else {}))


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("scope", [False, True], ids=["", "scope"])
@pytest.mark.parametrize("opaque", [False, True], ids=["jwt", "opaque"])
def test_every_shape_through_a_real_client(target, shape, scope, opaque) -> None:
    scheme, control, url = target
    control.configure(
        token_shape=shape, token_required_fields=SCOPE if scope else {}, opaque_tokens=opaque
    )
    (request_id,) = control.seed(documents=1)
    client = client_for(url, control, **token_settings(shape, scope=scope, scheme=scheme))
    try:
        assert [i.record.request_id for i in pending(client, PendingEntity.DOCUMENT)] == [
            request_id
        ]
        assert client.attachments(request_id)
        header = DeliveryHeader(entity=DeliveryEntity.COST_CENTER)
        assert client.register_delivery(header, [b'{"code":"CC-1"}'])["received"] == 1
    finally:
        client.close()
    assert control.stats()["tokenExchanges"] == 1  # one token for every call
    no_401(control)


def test_a_missing_scope_is_a_configuration_failure_naming_the_setting(sandbox, shaped) -> None:
    from shared.core.errors import Failure, TokenExchangeError

    shaped(token_shape="oauth2-basic", token_required_fields=SCOPE)
    settings = token_settings("oauth2-basic", scope=False, scheme="raw")
    client = client_for(sandbox.url, sandbox.control, **settings)
    try:
        with pytest.raises(TokenExchangeError) as caught:
            pending(client, PendingEntity.DOCUMENT)
    finally:
        client.close()
    assert caught.value.failure is Failure.CONFIGURATION
    assert "ROIT_TOKEN_EXTRA_FIELDS" in (caught.value.setting or "")


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_opaque_short_lived_token_is_renewed_before_it_expires(sandbox, shaped, shape) -> None:
    shaped(token_shape=shape, opaque_tokens=True, token_lifetime_s=2)
    settings = token_settings(shape, scope=False, scheme="raw")
    now = [time.time()]
    client = client_for(sandbox.url, sandbox.control, clock=lambda: now[0], **settings)
    try:
        calls = 0
        for _ in range(50):  # 5 s on the client's clock, a call every 0.1 s
            pending(client, PendingEntity.DOCUMENT)
            calls += 1
            now[0] += 0.1
    finally:
        client.close()
    stats = sandbox.control.stats()
    # 2 s tokens over 5 s, each renewed at 80 % of its life: three or four exchanges
    assert 3 <= stats["tokenExchanges"] <= 4, stats["tokenExchanges"]
    assert stats["calls"]["pending"] == {"200": calls}
    no_401(sandbox.control)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_through_a_function_under_functions_framework(
    sandbox, shaped, monkeypatch, shape
) -> None:
    shaped(token_shape=shape, token_required_fields=SCOPE, opaque_tokens=True)
    (request_id,) = sandbox.control.reset(documents=1)
    env = {
        "ROIT_BASE_URL": sandbox.url,
        "ROIT_INTEGRATION_ID": sandbox.integration_id,
        "ROIT_CLIENT_ID": sandbox.client_id,
        "ROIT_CLIENT_SECRET": sandbox.client_secret,
        "ROIT_LOG_LEVEL": "WARNING",
        **as_env(token_settings(shape, scope=True, scheme="raw")),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    source = REPO_ROOT / "functions" / "get_attachments" / "main.py"
    app = create_app("get_attachments", str(source)).test_client()
    for _ in range(2):
        response = app.post("/", json={"requestId": request_id})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["attachments"]
    assert sandbox.control.stats()["tokenExchanges"] == 1
    no_401(sandbox.control)


def test_oauth2_basic_with_bearer_scope_and_opaque_tokens_in_a_real_function_process(
    bearer_sandbox,
) -> None:
    control = SandboxControl(bearer_sandbox.url)
    control.reset()
    control.configure(token_shape="oauth2-basic", token_required_fields=SCOPE, opaque_tokens=True)
    creds = control.credentials()
    (request_id,) = control.seed(documents=1)
    env = {
        "ROIT_BASE_URL": bearer_sandbox.url,
        "ROIT_INTEGRATION_ID": creds.integration_id,
        "ROIT_CLIENT_ID": creds.client_id,
        "ROIT_CLIENT_SECRET": creds.client_secret,
        "ROIT_REPROCESS_CALLER_AUTH": "iam",
        **as_env(token_settings("oauth2-basic", scope=True, scheme="bearer")),
    }
    process = function_process("reprocess", env=env)
    try:
        process.start().wait_ready(60)
        response = httpx.post(process.url, json={"requestId": request_id}, timeout=60)
        stats = control.stats()
    finally:
        process.stop()
        control.configure(token_shape="roit-json", token_required_fields={}, opaque_tokens=False)
        control.close()
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "PENDING"
    assert stats["tokenExchanges"] == 1
    assert stats["calls"]["token"] == {"200": 1}
    assert stats["calls"]["reprocess"] == {"200": 1}
