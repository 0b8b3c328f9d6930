"""Pydantic models for everything in ROIT's contract, in two stances.

* What **ROIT sends us** is parsed tolerantly: unknown fields are kept, the
  ``{timestamp, status, message, data}`` envelope and a bare body are both accepted, and
  ``entryReference`` may be a string or a number.
* What **our users send us** (HTTP bodies, Pub/Sub messages) is parsed strictly: unknown
  fields, wrong types and unknown enum values are rejected.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.errors import MalformedResponseError

__all__ = [
    "AttachmentsInput",
    "DeliveryEntity",
    "DeliveryMessage",
    "DeliveryRequest",
    "PendingEntity",
    "PendingItem",
    "ReprocessInput",
    "RequestRecord",
    "RequestStatus",
    "RoitModel",
    "StatusUpdate",
    "StrictModel",
    "unwrap_data",
    "unwrap_list",
]


class PendingEntity(StrEnum):
    """Entities the pending endpoint serves (contract §4)."""

    DOCUMENT = "DOCUMENT"
    ACCOUNTS_PAYABLE = "ACCOUNTS_PAYABLE"
    PURCHASE_ORDER = "PURCHASE_ORDER"
    ERP_PARAMS = "ERP_PARAMS"
    SUPPLIER = "SUPPLIER"
    GENERIC = "GENERIC"
    TAX_VALIDATION = "TAX_VALIDATION"
    DOCUMENT_REVERSE = "DOCUMENT_REVERSE"
    SERVICE_ENTRY_SHEET = "SERVICE_ENTRY_SHEET"


class DeliveryEntity(StrEnum):
    """Entities the delivery endpoint accepts (contract §5) — not the pending enum."""

    DOCUMENT = "DOCUMENT"
    ACCOUNTS_PAYABLE_EXTERNAL = "ACCOUNTS_PAYABLE_EXTERNAL"
    PURCHASE_ORDER = "PURCHASE_ORDER"
    SERVICE_ORDER = "SERVICE_ORDER"
    UMBRELLA_AGREEMENT = "UMBRELLA_AGREEMENT"
    SUPPLIER = "SUPPLIER"
    TAX_CODE = "TAX_CODE"
    TAX_CODE_IRF = "TAX_CODE_IRF"
    CUSTOM = "CUSTOM"
    DELIVERY_AUTHORIZATION = "DELIVERY_AUTHORIZATION"
    COST_CENTER = "COST_CENTER"
    ITEM = "ITEM"
    PAYMENT_CONDITION = "PAYMENT_CONDITION"
    OUTBOUND_INVOICE = "OUTBOUND_INVOICE"
    FINANCIAL_NATURE = "FINANCIAL_NATURE"
    BLIND_REVIEW = "BLIND_REVIEW"
    GOODS_THIRD_PARTY = "GOODS_THIRD_PARTY"


class RequestStatus(StrEnum):
    """Status of a ROIT request (contract §6)."""

    PROCESSING = "PROCESSING"
    RECEIVED = "RECEIVED"
    PENDING = "PENDING"
    ERROR = "ERROR"
    DONE = "DONE"
    WARNING = "WARNING"


NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class RoitModel(BaseModel):
    """Base of what ROIT sends: unknown fields kept, nothing required that ROIT may omit."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)


class StrictModel(BaseModel):
    """Base of what our users send: unknown fields and bad values rejected."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestRecord(RoitModel):
    """ROIT's request record (status-update and reprocess responses, pending items)."""

    id: str | None = None
    entity: str | None = None
    master_id: str | None = Field(default=None, alias="masterId")
    request_id: str | None = Field(default=None, alias="requestId")
    reference: str | None = None
    integration_id: str | None = Field(default=None, alias="integrationId")
    type: str | None = None
    status: str | None = None
    message: str | None = None
    entry_reference: str | int | float | None = Field(default=None, alias="entryReference")


class PendingItem(BaseModel):
    """One pending entity: ROIT's item exactly as sent, plus the fields the connector routes by."""

    raw: dict[str, Any]
    record: RequestRecord

    @classmethod
    def from_raw(cls, raw: Any) -> PendingItem:
        """Wrap one item of a pending page.

        Raises:
            MalformedResponseError: the item is not an object or has no ``requestId``.
        """
        if not isinstance(raw, dict):
            raise MalformedResponseError("ROIT pending item is not a JSON object")
        try:
            record = RequestRecord.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in err["loc"])
            raise MalformedResponseError(
                f"ROIT pending item unreadable: {where}: {err['msg']}"
            ) from None
        if not record.request_id:
            raise MalformedResponseError("ROIT pending item has no requestId")
        return cls(raw=raw, record=record)


# ----------------------------------------------------------------------------- our inputs


class StatusUpdate(StrictModel):
    """Body of the status update (contract §6); also the status topic's message schema."""

    request_id: NonEmptyStr = Field(alias="requestId")
    reference: NonEmptyStr
    status: RequestStatus
    message: Annotated[str, StringConstraints(max_length=4000)]
    integration_id: NonEmptyStr | None = Field(default=None, alias="integrationId")
    entry_reference: int | Annotated[str, StringConstraints(max_length=128)] | None = Field(
        default=None, alias="entryReference"
    )
    entry_date: datetime | None = Field(default=None, alias="entryDate")
    system_info: dict[str, Any] | None = Field(default=None, alias="systemInfo")
    metadata: dict[str, Any] | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    def to_roit(self, default_integration_id: str) -> dict[str, Any]:
        """The JSON body ROIT expects, with the integration id filled in."""
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        body.setdefault("integrationId", default_integration_id)
        return body


class DeliveryMessage(StrictModel):
    """The deliveries topic's message schema (contract §5 body, integration id optional)."""

    entity: DeliveryEntity
    data: list[dict[str, Any]] = Field(min_length=1)
    sub_entity: NonEmptyStr | None = Field(default=None, alias="subEntity")
    is_default: bool = Field(default=False, alias="isDefault")
    integration_id: NonEmptyStr | None = Field(default=None, alias="integrationId")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class DeliveryRequest(BaseModel):
    """One call to the delivery endpoint."""

    integration_id: str = Field(alias="integrationId")
    entity: DeliveryEntity
    data: list[dict[str, Any]]
    is_default: bool = Field(default=False, alias="isDefault")
    sub_entity: str | None = Field(default=None, alias="subEntity")

    model_config = ConfigDict(populate_by_name=True)


class ReprocessInput(StrictModel):
    """Body of the reprocess function."""

    request_id: NonEmptyStr = Field(alias="requestId")
    integration_id: NonEmptyStr | None = Field(default=None, alias="integrationId")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)


class AttachmentsInput(ReprocessInput):
    """Body of the get_attachments function (same shape as reprocess)."""


# ----------------------------------------------------------------------------- helpers

_LIST_KEYS = ("items", "content", "results", "records", "requests", "entities", "documents")


def unwrap_data(body: Any) -> Any:
    """The payload of a ROIT answer: ``data`` of the envelope, or the bare body."""
    if isinstance(body, dict) and "data" in body and ("status" in body or "timestamp" in body):
        return body["data"]
    return body


def unwrap_list(body: Any) -> list[Any]:
    """A list payload from any plausible shape: envelope, bare list, or a paging object.

    Raises:
        MalformedResponseError: no list could be found.
    """
    data = unwrap_data(body)
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in _LIST_KEYS:
            value = data.get(key)
            if isinstance(value, list):
                return value
        if not data:
            return []
    raise MalformedResponseError("ROIT answer holds no list where one was expected")
