"""Every validation path answers a 4xx with the error envelope, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import DELIVERY_PATH, ENTRYPOINT, INTEGRATION_ID, TOKEN_PATH, RoitClient

pytestmark = pytest.mark.integration

STATUS_OK = {
    "status": "DONE",
    "reference": "ref",
    "message": "ok",
    "requestId": "req",
    "integrationId": INTEGRATION_ID,
}
DELIVERY_OK = {"integrationId": INTEGRATION_ID, "entity": "CUSTOM", "data": [{"a": 1}]}


def _fields(response: httpx.Response) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def _assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error" and body["statusCode"] == status
    assert isinstance(body["timestamp"], int) and body["message"]
    assert isinstance(body["errors"], list)
    return body


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (f"{ENTRYPOINT}/pending", {}, {"entity", "integrationId"}),
        (f"{ENTRYPOINT}/pending", {"entity": "NFE", "integrationId": "x"}, {"entity"}),
        (f"{ENTRYPOINT}/pending", {"entity": "DOCUMENT", "integrationId": 7}, {"integrationId"}),
        (
            f"{ENTRYPOINT}/pending",
            {"entity": "DOCUMENT", "integrationId": "x", "type": ["NFE"]},
            {"type"},
        ),
        (f"{ENTRYPOINT}/status", {**STATUS_OK, "status": "FINISHED"}, {"status"}),
        (
            f"{ENTRYPOINT}/status",
            {k: v for k, v in STATUS_OK.items() if k != "reference"},
            {"reference"},
        ),
        (f"{ENTRYPOINT}/status", {**STATUS_OK, "message": None}, {"message"}),
        (f"{ENTRYPOINT}/status", {**STATUS_OK, "entryDate": "yesterday"}, {"entryDate"}),
        (f"{ENTRYPOINT}/status", {**STATUS_OK, "systemInfo": "ERP"}, {"systemInfo"}),
        (f"{ENTRYPOINT}/status", {**STATUS_OK, "entryReference": [1]}, {"entryReference"}),
        (f"{ENTRYPOINT}/reprocess", {"integrationId": INTEGRATION_ID}, {"requestId"}),
        (f"{ENTRYPOINT}/attachs", {"requestId": "r"}, {"integrationId"}),
        (DELIVERY_PATH, {**DELIVERY_OK, "entity": "ACCOUNTS_PAYABLE"}, {"entity"}),
        (DELIVERY_PATH, {**DELIVERY_OK, "data": []}, {"data"}),
        (DELIVERY_PATH, {**DELIVERY_OK, "data": [1, "x"]}, {"data[0]", "data[1]"}),
        (DELIVERY_PATH, {**DELIVERY_OK, "isDefault": "yes"}, {"isDefault"}),
        (DELIVERY_PATH, {"entity": "CUSTOM", "data": [{}]}, {"integrationId"}),
        (
            DELIVERY_PATH,
            {**DELIVERY_OK, "entity": "PURCHASE_ORDER", "data": [{"purchaseNumber": "1"}, {}]},
            {"data[1].purchaseNumber"},
        ),
        (
            DELIVERY_PATH,
            {
                **DELIVERY_OK,
                "entity": "SUPPLIER",
                "data": [
                    {"nationalRegister": "11222333000181"},
                    {"nationalRegister": "11222333000182"},
                    {"nationalRegister": "52998224726"},
                    {"name": "no register"},
                ],
            },
            {"data[1].nationalRegister", "data[2].nationalRegister", "data[3].nationalRegister"},
        ),
    ],
)
def test_invalid_bodies_get_400_naming_the_fields(
    roit: RoitClient, path: str, body: dict[str, Any], fields: set[str]
) -> None:
    response = roit.post(path, body)
    _assert_error(response, 400)
    assert _fields(response) == fields


@pytest.mark.parametrize(
    "path",
    [
        f"{ENTRYPOINT}/pending",
        f"{ENTRYPOINT}/status",
        f"{ENTRYPOINT}/reprocess",
        f"{ENTRYPOINT}/attachs",
        DELIVERY_PATH,
    ],
)
@pytest.mark.parametrize(
    ("content", "content_type", "field"),
    [
        (b'{"entity": "DOCUMENT",', "application/json", "body"),
        (b"", "application/json", "body"),
        (b"\xff\xfe", "application/json", "body"),
        (b"[]", "application/json", "body"),
        (b'"DOCUMENT"', "application/json", "body"),
        (b'{"entity": "DOCUMENT"}', "text/plain", "Content-Type"),
        (b"entity=DOCUMENT", "application/x-www-form-urlencoded", "Content-Type"),
    ],
)
def test_bad_json_and_content_types_are_400(
    roit: RoitClient, path: str, content: bytes, content_type: str, field: str
) -> None:
    headers = {"Authorization": roit.token, "Content-Type": content_type}
    response = roit.http.post(path, content=content, headers=headers)
    _assert_error(response, 400)
    assert _fields(response) == {field}


def test_token_endpoint_validates_too(roit: RoitClient) -> None:
    response = roit.http.post(
        TOKEN_PATH, content=b"clientId=x", headers={"Content-Type": "text/plain"}
    )
    _assert_error(response, 400)
    response = roit.http.post(TOKEN_PATH, json={"clientSecret": "s"})
    assert _fields(_assert_error_response(response)) == {"clientId"}


def _assert_error_response(response: httpx.Response) -> httpx.Response:
    _assert_error(response, 400)
    return response


def test_unknown_path_is_404_and_wrong_method_is_405(roit: RoitClient) -> None:
    _assert_error(roit.post("/ibs-core-entrypoint/api/v1/entrypoint/requests/nope", {}), 404)
    _assert_error(roit.http.get("/"), 404)
    response = roit.http.get(f"{ENTRYPOINT}/pending", headers={"Authorization": roit.token})
    _assert_error(response, 405)
    assert response.headers["allow"] == "POST"
    _assert_error(roit.http.put(DELIVERY_PATH, json=DELIVERY_OK), 405)
    _assert_error(roit.http.delete(TOKEN_PATH), 405)


def test_error_bodies_do_not_echo_secrets(roit: RoitClient) -> None:
    secret = "super-secret-value-123"
    response = roit.post(f"{ENTRYPOINT}/pending", {"entity": secret, "integrationId": 1})
    _assert_error(response, 400)
    assert secret not in response.text


def test_control_api_validates_its_bodies(roit: RoitClient) -> None:
    for method, path, body, field in [
        ("PUT", "/_sandbox/faults/pending", {"error_rate": 2}, "error_rate"),
        ("PUT", "/_sandbox/faults/pending", {"unknown": 1}, "unknown"),
        ("PUT", "/_sandbox/config", {"page_size": 0}, "page_size"),
        ("POST", "/_sandbox/seed", {"documents": -1}, "documents"),
        ("POST", "/_sandbox/reset", {"seed": "many"}, "seed"),
    ]:
        response = roit.http.request(method, path, json=body)
        _assert_error(response, 400)
        assert field in _fields(response), (path, body)
    _assert_error(roit.http.put("/_sandbox/faults/nope", json={}), 404)
    response = roit.http.put("/_sandbox/faults/status", json={"drop_after_commit_next": 1})
    _assert_error(response, 400)
    _assert_error(roit.http.get("/_sandbox/requests/unknown-id"), 404)
    _assert_error(roit.http.post("/_sandbox/seed", json={"documents": 1, "types": ["X"]}), 400)
