"""System tier: against a deployed project. Skipped unless pointed at one.

    export ROIT_SYSTEM_FUNCTION_URIS="$(terraform -chdir=terraform output -json function_uris)"
    .venv/bin/pytest -m system tests/system

Calls are safe on a live integration: bad input, an unsigned webhook, and one page of one poll.
"""

from __future__ import annotations

import json
import os
import subprocess

import httpx
import pytest

pytestmark = pytest.mark.system

URIS = os.environ.get("ROIT_SYSTEM_FUNCTION_URIS", "")
if not URIS:
    pytest.skip(
        "system tier: set ROIT_SYSTEM_FUNCTION_URIS to `terraform output -json function_uris` "
        "of a deployed project to run it",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def uris() -> dict[str, str]:
    return json.loads(URIS)


@pytest.fixture(scope="module")
def identity_token() -> str:
    return subprocess.run(
        ["gcloud", "auth", "print-identity-token"], check=True, capture_output=True, text=True
    ).stdout.strip()


def _post(url: str, token: str | None, body: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(url, json=body, headers=headers, timeout=60)


def test_private_function_refuses_anonymous_callers(uris) -> None:
    assert _post(uris["get-attachments"], None, {"requestId": "x"}).status_code in (401, 403)


def test_bad_input_is_a_clean_400(uris, identity_token) -> None:
    response = _post(uris["get-attachments"], identity_token, {"requestId": 5})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "requestId"


def test_unsigned_webhook_is_refused(uris) -> None:
    response = _post(uris["reprocess-webhook"], None, {"requestId": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_one_page_poll_answers_a_summary(uris, identity_token) -> None:
    response = _post(uris["poll-pending"], identity_token, {"maxPages": 1})
    assert response.status_code in (200, 502, 503)
    assert "totals" in response.json()
