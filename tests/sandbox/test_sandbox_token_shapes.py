"""Token endpoint shapes (roit-json, oauth2-form, oauth2-basic), required fields, opaque
tokens and the token path, against a real sandbox process."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from sandbox_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    PENDING_BODY,
    TOKEN_PATH,
    RoitClient,
    SandboxProcess,
)

from sandbox.control import SandboxControlError

pytestmark = pytest.mark.integration

ENTRY = "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending"
GRANT = {"grant_type": "client_credentials"}


def _basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    pair = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def _roit_json(url: str, **extra: str) -> httpx.Response:
    return httpx.post(
        url + TOKEN_PATH, json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, **extra}
    )


def _oauth2_form(url: str, **extra: str) -> httpx.Response:
    form = {**GRANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **extra}
    return httpx.post(url + TOKEN_PATH, data=form)


def _oauth2_basic(url: str, **extra: str) -> httpx.Response:
    return httpx.post(url + TOKEN_PATH, data={**GRANT, **extra}, headers=_basic())


REQUESTS = {"roit-json": _roit_json, "oauth2-form": _oauth2_form, "oauth2-basic": _oauth2_basic}
# (configured shape, request style) -> expected status when they differ
REFUSALS = {
    ("roit-json", "oauth2-form"): (400, None),
    ("roit-json", "oauth2-basic"): (400, None),
    ("oauth2-form", "roit-json"): (400, "invalid_request"),
    ("oauth2-form", "oauth2-basic"): (401, "invalid_client"),
    ("oauth2-basic", "roit-json"): (400, "invalid_request"),
    ("oauth2-basic", "oauth2-form"): (401, "invalid_client"),
}


def _token_of(shape: str, response: httpx.Response) -> str:
    body = response.json()
    token: str = body["data"]["token"] if shape == "roit-json" else body["access_token"]
    return token


def _works(url: str, token: str) -> bool:
    response = httpx.post(url + ENTRY, json=PENDING_BODY, headers={"Authorization": token})
    return response.status_code == 200


@pytest.mark.parametrize("shape", list(REQUESTS))
def test_each_shape_accepts_exactly_its_own_requests(sb: SandboxProcess, shape: str) -> None:
    assert sb.control.configure(token_shape=shape)["token_shape"] == shape
    assert sb.control.credentials().token_shape == shape
    for style, send in REQUESTS.items():
        response = send(sb.url)
        if style == shape:
            assert response.status_code == 200, response.text
            assert _works(sb.url, _token_of(shape, response))
            continue
        status, error = REFUSALS[(shape, style)]
        assert response.status_code == status, (style, response.text)
        body = response.json()
        if error is None:
            assert body["status"] == "error"  # the sandbox's envelope
        else:
            assert body["error"] == error and body["error_description"]
            assert response.headers["cache-control"] == "no-store"
    assert sb.control.stats()["tokenExchanges"] == 1


@pytest.mark.parametrize("shape", ["oauth2-form", "oauth2-basic"])
def test_oauth2_answer_follows_rfc_6749(sb: SandboxProcess, shape: str) -> None:
    sb.control.configure(token_shape=shape, token_lifetime_s=600)
    response = REQUESTS[shape](sb.url)
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert sb.control.issue_token() != body["access_token"]
    assert sb.control.stats()["tokenExchanges"] == 2


@pytest.mark.parametrize("shape", ["oauth2-form", "oauth2-basic"])
def test_oauth2_errors(sb: SandboxProcess, shape: str) -> None:
    sb.control.configure(token_shape=shape)
    send = REQUESTS[shape]
    url = sb.url + TOKEN_PATH

    def error(response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["error"]

    assert error(send(sb.url, grant_type="password")) == (400, "unsupported_grant_type")
    no_grant = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert error(httpx.post(url, data=no_grant, headers=_basic())) == (
        400,
        "unsupported_grant_type",
    )
    repeated = "grant_type=client_credentials&grant_type=client_credentials"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    assert error(httpx.post(url, content=repeated, headers={**form_type, **_basic()})) == (
        400,
        "invalid_request",
    )
    both = {**GRANT, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert error(httpx.post(url, data=both, headers=_basic())) == (400, "invalid_request")
    if shape == "oauth2-form":
        wrong = httpx.post(url, data={**both, "client_secret": "wrong"})
    else:
        wrong = httpx.post(url, data=GRANT, headers=_basic(secret="wrong"))
        garbled = httpx.post(url, data=GRANT, headers={"Authorization": "Basic %%%"})
        assert error(garbled) == (401, "invalid_client")
    assert error(wrong) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic")
    assert CLIENT_SECRET not in wrong.text
    assert sb.control.stats()["tokenExchanges"] == 0


@pytest.mark.parametrize("shape", list(REQUESTS))
def test_required_token_fields(sb: SandboxProcess, shape: str) -> None:
    sb.control.configure(token_shape=shape, token_required_fields={"scope": "roit.integration"})
    assert sb.control.credentials().token_required_fields == {"scope": "roit.integration"}
    send = REQUESTS[shape]
    for refused in (send(sb.url), send(sb.url, scope="other")):
        assert refused.status_code == 400
        if shape == "roit-json":
            assert refused.json()["errors"][0]["field"] == "scope"
        else:
            assert refused.json()["error"] == "invalid_scope"
    assert send(sb.url, scope="roit.integration").status_code == 200
    assert _works(sb.url, sb.control.issue_token())
    sb.control.configure(token_required_fields={})
    assert send(sb.url).status_code == 200
    with pytest.raises(SandboxControlError):
        sb.control.configure(token_required_fields={"client_id": "x"})


def test_opaque_tokens_expire_and_are_revoked(sb: SandboxProcess) -> None:
    sb.control.configure(opaque_tokens=True, token_lifetime_s=1)
    assert sb.control.credentials().opaque_tokens is True
    token = sb.control.issue_token()
    with pytest.raises(jwt.DecodeError):
        jwt.decode(token, options={"verify_signature": False})  # not a JWT
    issued_at = time.monotonic()
    assert _works(sb.url, token)
    time.sleep(max(0.0, 1.05 - (time.monotonic() - issued_at)))
    expired = httpx.post(sb.url + ENTRY, json=PENDING_BODY, headers={"Authorization": token})
    assert expired.status_code == 401 and "expired" in expired.json()["message"]
    sb.control.configure(token_lifetime_s=600)
    fresh = sb.control.issue_token()
    assert _works(sb.url, fresh)
    assert not _works(sb.url, fresh[:-2] + "AA")  # unknown opaque token
    sb.control.configure(opaque_tokens=False)  # back to JWTs: the opaque one stays valid
    jwt_token = sb.control.issue_token()
    assert jwt.decode(jwt_token, options={"verify_signature": False})["sub"] == CLIENT_ID
    assert _works(sb.url, fresh) and _works(sb.url, jwt_token)
    sb.control.revoke_tokens()
    for revoked in (fresh, jwt_token):
        response = httpx.post(sb.url + ENTRY, json=PENDING_BODY, headers={"Authorization": revoked})
        assert response.status_code == 401 and "revoked" in response.json()["message"]
    assert sb.control.stats()["tokenExchanges"] == 3


def test_opaque_tokens_with_the_bearer_scheme(
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    proc = start_sandbox(
        "--opaque-tokens", "--auth-scheme", "bearer", "--token-shape", "oauth2-form"
    )
    token = _oauth2_form(proc.url).json()["access_token"]
    assert not _works(proc.url, token)
    assert _works(proc.url, f"Bearer {token}")


def test_token_path_is_configurable(sb: SandboxProcess) -> None:
    creds = sb.control.configure(token_path="/oauth2/token/")
    assert creds["token_path"] == "/oauth2/token"
    assert sb.control.credentials().token_url == sb.url + "/oauth2/token"
    assert _roit_json(sb.url).status_code == 404
    response = httpx.post(
        sb.url + "/oauth2/token", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
    )
    assert response.status_code == 200
    assert sb.control.stats()["calls"]["token"] == {"200": 1}
    for bad in ("/_sandbox/token", "relative", "/files/x", "/a?b=1"):
        with pytest.raises(SandboxControlError) as info:
            sb.control.configure(token_path=bad)
        assert info.value.status_code == 400
    assert sb.control.credentials().token_path == "/oauth2/token"


def test_token_settings_from_the_command_line(
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    proc = start_sandbox(
        "--token-shape",
        "oauth2-basic",
        "--token-required-field",
        "scope=roit.integration",
        "--opaque-tokens",
        "--gzip",
        "--token-path",
        "/oauth/token",
        "--seed",
        "1",
    )
    creds = proc.control.credentials()
    assert (creds.token_shape, creds.token_path, creds.opaque_tokens, creds.gzip) == (
        "oauth2-basic",
        "/oauth/token",
        True,
        True,
    )
    assert creds.token_required_fields == {"scope": "roit.integration"}
    response = httpx.post(
        creds.token_url, data={**GRANT, "scope": "roit.integration"}, headers=_basic()
    )
    assert response.status_code == 200
    client = RoitClient(proc.url, token=response.json()["access_token"])
    pending = client.pending()
    assert pending.headers["content-encoding"] == "gzip" and len(pending.json()["data"]) == 1
    client.close()


@pytest.mark.parametrize(
    "option",
    [
        ["--token-shape", "saml"],
        ["--token-required-field", "scope"],
        ["--token-required-field", "grant_type=x"],
        ["--token-path", "/_sandbox/token"],
    ],
)
def test_bad_token_options_fail_at_start(option: list[str]) -> None:
    import subprocess
    import sys

    from sandbox_helpers import REPO_ROOT

    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0", *option],
        cwd=REPO_ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stderr
