"""The request lifecycle over real HTTP: pending, status, reprocess, attachs, files, delivery."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sandbox_helpers import DELIVERY_PATH, ENTRYPOINT, INTEGRATION_ID, RoitClient, SandboxProcess

from sandbox.seed.fiscal import is_valid_access_key, is_valid_cnpj, is_valid_national_register

pytestmark = pytest.mark.integration

RECORD_FIELDS = {
    "id",
    "entity",
    "type",
    "requestId",
    "reference",
    "integrationId",
    "masterId",
    "status",
    "isPriority",
    "retryAfter",
    "message",
    "metadata",
    "createdAt",
    "document",
}


def test_pending_returns_records_and_moves_them_to_processing(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    created = set(sb.control.seed(documents=7, types=["NFE"]))
    response = roit.pending("DOCUMENT", "NFE")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success" and isinstance(body["timestamp"], int)
    records = body["data"]
    assert {r["requestId"] for r in records} == created
    for record in records:
        assert record.keys() >= RECORD_FIELDS
        assert record["status"] == "PROCESSING"
        assert record["entity"] == "DOCUMENT" and record["type"] == "NFE"
        assert record["integrationId"] == INTEGRATION_ID
        assert is_valid_access_key(record["document"]["accessKey"])
        assert is_valid_cnpj(record["document"]["issuer"]["cnpj"])
        # fields ROIT might add beyond the documented record
        assert "origin" in record and "tenant" in record
    states = sb.control.requests(status="PROCESSING")
    assert {s["requestId"] for s in states} == created
    assert all(s["timesReturned"] == 1 for s in states)
    assert roit.pending("DOCUMENT", "NFE").json()["data"] == []
    assert roit.pending("DOCUMENT").json()["data"] == []


def test_pending_filters_by_entity_type_and_pages(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=12, types=["NFSE"])
    sb.control.seed(documents=5, types=["CTE"], master=3)
    sb.control.configure(page_size=4)
    cte = roit.pending("DOCUMENT", "CTE").json()["data"]
    assert len(cte) == 4 and {r["type"] for r in cte} == {"CTE"}
    suppliers = roit.drain("SUPPLIER")
    assert len(suppliers) == 3 and {r["entity"] for r in suppliers} == {"SUPPLIER"}
    assert all(is_valid_national_register(s["document"]["nationalRegister"]) for s in suppliers)
    orders = roit.drain("PURCHASE_ORDER")
    assert len(orders) == 3 and all(o["document"]["purchaseNumber"] for o in orders)
    rest = roit.drain("DOCUMENT")
    assert len(rest) == 12 + 1
    assert roit.pending("GENERIC").json()["data"] == []
    counts = sb.control.stats()["requestsByStatus"]
    assert counts["PENDING"] == 0 and counts["PROCESSING"] == 12 + 5 + 6


def test_status_then_reprocess_then_returned_again(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=1)
    (record,) = roit.pending().json()["data"]
    done = roit.status(
        record,
        "DONE",
        entryReference=1234567890,
        entryDate="2024-01-01T01:01:01.000Z",
        systemInfo={"system": "ERP", "version": "1.0.0"},
        metadata={"customField": "customValue"},
    )
    assert done.status_code == 200
    data = done.json()["data"]
    assert data["status"] == "DONE" and data["requestId"] == record["requestId"]
    assert data["entryReference"] == 1234567890
    assert data["entryDate"].startswith("2024-01-01T01:01:01")
    assert data["systemInfo"] == {"system": "ERP", "version": "1.0.0"}
    assert data["metadata"]["customField"] == "customValue"
    assert roit.pending().json()["data"] == []

    again = roit.by_id("reprocess", record["requestId"])
    assert again.status_code == 200
    assert again.json()["data"]["status"] == "PENDING"
    (returned,) = roit.pending().json()["data"]
    assert returned["requestId"] == record["requestId"]

    state = sb.control.request(record["requestId"])
    assert [h["status"] for h in state["history"]] == [
        "PENDING",
        "PROCESSING",
        "DONE",
        "PENDING",
        "PROCESSING",
    ]
    assert [h["source"] for h in state["history"]][1:] == [
        "pending",
        "status",
        "reprocess",
        "pending",
    ]
    assert state["timesReturned"] == 2
    assert state["record"]["document"] == record["document"]


def test_status_with_wrong_reference_is_400_and_changes_nothing(
    sb: SandboxProcess, roit: RoitClient
) -> None:
    sb.control.seed(documents=1)
    (record,) = roit.pending().json()["data"]
    response = roit.status({**record, "reference": "not-the-reference"}, "DONE")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "reference"
    assert sb.control.request(record["requestId"])["status"] == "PROCESSING"


@pytest.mark.parametrize("endpoint", ["status", "reprocess", "attachs"])
def test_unknown_request_is_404(roit: RoitClient, endpoint: str) -> None:
    record = {"requestId": "does-not-exist", "reference": "r"}
    if endpoint == "status":
        response = roit.status(record, "DONE")
    else:
        response = roit.by_id(endpoint, "does-not-exist")
    assert response.status_code == 404
    body = response.json()
    assert body["status"] == "error" and body["statusCode"] == 404
    assert "not found" in body["message"].lower()


def test_unknown_integration_is_404(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=1)
    body = {"entity": "DOCUMENT", "integrationId": "someone-elses-integration"}
    response = roit.post(f"{ENTRYPOINT}/pending", body)
    assert response.status_code == 404
    assert "integration" in response.json()["message"].lower()
    assert sb.control.stats()["requestsByStatus"]["PENDING"] == 1


def test_attachs_lists_downloadable_files(sb: SandboxProcess, roit: RoitClient) -> None:
    sb.control.seed(documents=3, types=["NFE"])
    records = roit.pending().json()["data"]
    for record in records:
        response = roit.by_id("attachs", record["requestId"])
        assert response.status_code == 200
        files = response.json()["data"]
        assert 1 <= len(files) <= 3
        types = [f["contentType"] for f in files]
        assert types[:2] == ["application/xml", "application/pdf"]
        for attached in files:
            assert {"id", "fileName", "contentType", "size", "url"} <= attached.keys()
            download = httpx.get(attached["url"])
            assert download.status_code == 200
            assert len(download.content) == attached["size"]
            assert download.headers["content-type"] == attached["contentType"]
        xml = httpx.get(files[0]["url"]).text
        assert record["document"]["accessKey"] in xml
        assert httpx.get(files[1]["url"]).content.startswith(b"%PDF-")
    missing = httpx.get(f"{roit.url}/files/{records[0]['requestId']}/nope.pdf")
    assert missing.status_code == 404


def test_attachs_of_a_request_not_ready_is_409(sb: SandboxProcess, roit: RoitClient) -> None:
    (received,) = sb.control.seed(received=1)
    response = roit.by_id("attachs", received)
    assert response.status_code == 409
    assert "not ready" in response.json()["message"]
    assert sb.control.request(received)["status"] == "RECEIVED"
    # not returned by pending either: it is not ready for integration
    assert roit.pending().json()["data"] == []


def _supplier(register: str) -> dict[str, Any]:
    return {"code": "0001", "name": "ACME", "nationalRegister": register}


def test_delivery_is_stored_for_inspection(sb: SandboxProcess, roit: RoitClient) -> None:
    orders = [{"purchaseNumber": "PO1", "items": []}, {"purchaseNumber": "PO2", "x": 1}]
    body = {"integrationId": INTEGRATION_ID, "entity": "PURCHASE_ORDER", "data": orders}
    response = roit.post(DELIVERY_PATH, body)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["entity"] == "PURCHASE_ORDER" and data["received"] == 2 and data["deliveryId"]
    suppliers = [_supplier("11.222.333/0001-81"), _supplier("52998224725")]
    body = {
        "integrationId": INTEGRATION_ID,
        "entity": "SUPPLIER",
        "isDefault": True,
        "subEntity": "VENDOR",
        "data": suppliers,
    }
    assert roit.post(DELIVERY_PATH, body).status_code == 200
    stored = sb.control.deliveries()
    assert [d["entity"] for d in stored] == ["PURCHASE_ORDER", "SUPPLIER"]
    assert stored[0]["deliveryId"] == data["deliveryId"]
    assert stored[0]["data"] == orders and stored[0]["isDefault"] is False
    assert stored[1]["isDefault"] is True and stored[1]["subEntity"] == "VENDOR"
    assert sb.control.deliveries(entity="SUPPLIER")[0]["data"] == suppliers
    stats = sb.control.stats()
    assert stats["deliveries"] == 2 and stats["deliveredItems"] == 4
