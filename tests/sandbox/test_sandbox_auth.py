"""Token exchange and the 401 cases, against a real sandbox process."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import jwt
import pytest
from sandbox_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    ENTRYPOINT,
    INTEGRATION_ID,
    TOKEN_PATH,
    RoitClient,
    SandboxProcess,
)

pytestmark = pytest.mark.integration

PENDING_BODY = {"entity": "DOCUMENT", "integrationId": INTEGRATION_ID}


def _pending(url: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}{ENTRYPOINT}/pending", json=PENDING_BODY, headers=headers)


def test_token_exchange_returns_a_signed_jwt_with_exp(sb: SandboxProcess) -> None:
    before = int(time.time())
    response = httpx.post(
        sb.url + TOKEN_PATH, json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    assert isinstance(body["timestamp"], int) and body["message"]
    assert body["data"]["expiresIn"] == 28_800
    token = body["data"]["token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert claims["sub"] == CLIENT_ID
    assert before <= claims["iat"] <= int(time.time())
    assert 28_800 <= claims["exp"] - claims["iat"] <= 28_801
    assert claims["jti"]
    # signed with a per-process secret: a forged token with another key is refused
    forged = jwt.encode({**claims}, "guessed-key-which-is-long-enough-for-hs256", "HS256")
    assert _pending(sb.url, {"Authorization": forged}).status_code == 401
    assert _pending(sb.url, {"Authorization": token}).status_code == 200
    assert sb.control.stats()["tokenExchanges"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"clientId": CLIENT_ID, "clientSecret": "wrong"}, 401),
        ({"clientId": "someone-else", "clientSecret": CLIENT_SECRET}, 401),
        ({"clientId": CLIENT_ID}, 400),
        ({"clientId": 1, "clientSecret": CLIENT_SECRET}, 400),
    ],
)
def test_token_exchange_rejects_bad_credentials(
    sb: SandboxProcess, body: dict[str, object], status: int
) -> None:
    response = httpx.post(sb.url + TOKEN_PATH, json=body)
    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert CLIENT_SECRET not in response.text
    assert sb.control.stats()["tokenExchanges"] == 0


@pytest.mark.parametrize(
    ("make_header", "reason"),
    [
        (lambda token: {}, "missing"),
        (lambda token: {"Authorization": ""}, "missing"),
        (lambda token: {"Authorization": "not-a-jwt"}, "invalid"),
        (lambda token: {"Authorization": token[:-4] + "AAAA"}, "invalid"),
        (lambda token: {"Authorization": f"Bearer {token}"}, "scheme"),
    ],
)
def test_unauthenticated_calls_get_401(
    roit: RoitClient, make_header: Callable[[str], dict[str, str]], reason: str
) -> None:
    response = _pending(roit.url, make_header(roit.token))
    assert response.status_code == 401
    body = response.json()
    assert body["statusCode"] == 401 and reason in body["message"].lower()
    assert roit.token not in response.text


def test_every_roit_endpoint_requires_a_token(roit: RoitClient) -> None:
    for endpoint in ("pending", "status", "reprocess", "attachs"):
        response = httpx.post(f"{roit.url}{ENTRYPOINT}/{endpoint}", json={})
        assert response.status_code == 401, endpoint
    response = httpx.post(roit.url + "/ibs-core-delivery/api/v1/delivery", json={})
    assert response.status_code == 401


def test_revoked_tokens_are_refused_and_new_ones_work(roit: RoitClient) -> None:
    old = roit.token
    assert _pending(roit.url, {"Authorization": old}).status_code == 200
    roit.http.post("/_sandbox/revoke-tokens").raise_for_status()
    response = _pending(roit.url, {"Authorization": old})
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    new = roit.new_token()
    assert _pending(roit.url, {"Authorization": new}).status_code == 200
    assert _pending(roit.url, {"Authorization": old}).status_code == 401


def test_expired_token_with_token_lifetime_1(
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    proc = start_sandbox("--token-lifetime", "1", "--seed", "1")
    client = RoitClient(proc.url)
    claims = jwt.decode(client.token, options={"verify_signature": False})
    assert 1 <= claims["exp"] - claims["iat"] <= 2
    headers = {"Authorization": client.token}
    if time.time() < claims["exp"] - 0.2:
        assert _pending(proc.url, headers).status_code == 200
    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.1)
    response = _pending(proc.url, headers)
    assert response.status_code == 401
    assert "expired" in response.json()["message"]
    client.close()


def test_bearer_scheme_refuses_raw_tokens(start_sandbox: Callable[..., SandboxProcess]) -> None:
    proc = start_sandbox("--auth-scheme", "bearer", "--seed", "2")
    client = RoitClient(proc.url)
    assert _pending(proc.url, {"Authorization": client.token}).status_code == 401
    response = _pending(proc.url, {"Authorization": f"Bearer {client.token}"})
    assert response.status_code == 200
    assert len(response.json()["data"]) == 2
    client.close()
