"""Pydantic models for everything in ROIT's contract, in two stances.

* What **ROIT sends us** is parsed tolerantly: unknown fields are kept, the
  ``{timestamp, status, message, data}`` envelope and a bare body are both accepted, and
  ``entryReference`` may be a string or a number.
* What **our users send us** (HTTP bodies, Pub/Sub messages) is parsed strictly: unknown
  fields, wrong types and unknown enum values are rejected.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    PrivateAttr,
    StrictBool,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from shared.core.errors import MalformedResponseError
from shared.core.inputs import StrictModel

__all__ = [
    "AttachmentsInput",
    "DeliveryEntity",
    "DeliveryHeader",
    "DeliveryMessage",
    "PendingEntity",
    "PendingItem",
    "ReprocessInput",
    "RequestRecord",
    "RequestStatus",
    "RoitModel",
    "StatusUpdate",
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

    model_config = ConfigDict(
        extra="allow", populate_by_name=True, coerce_numbers_to_str=True, defer_build=True
    )


def _date_time_text(value: Any) -> Any:
    if isinstance(value, str | datetime):
        return value
    raise ValueError("must be an ISO 8601 date-time string")  # not a number read as epoch time


DateTimeText = Annotated[datetime, BeforeValidator(_date_time_text)]
"""A date-time sent as ISO 8601 text (a number is refused, not read as seconds since 1970)."""


def _entry_reference(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value.strip()) <= 128:
        return value.strip()
    raise ValueError("must be an integer or a string of at most 128 characters")


EntryReference = Annotated[
    int | str,
    PlainValidator(_entry_reference),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "maxLength": 128}]}),
]
"""The ERP's document number: an integer or text, as sent (``true`` is not 1)."""


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
    entry_reference: EntryReference | None = Field(default=None, alias="entryReference")
    entry_date: DateTimeText | None = Field(default=None, alias="entryDate")
    system_info: dict[str, Any] | None = Field(default=None, alias="systemInfo")
    metadata: dict[str, Any] | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)
    _raw: dict[str, memoryview] = PrivateAttr(default_factory=dict)

    def to_roit(self, default_integration_id: str) -> bytes:
        """The JSON body ROIT expects, with the integration id filled in."""
        body = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        body.setdefault("integrationId", default_integration_id)
        head = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        if not self._raw:
            return head
        parts: list[bytes | memoryview] = [head[:-1]]  # joined once: no intermediate copies
        for key, value in self._raw.items():
            parts += (b',"', key.encode(), b'":', value)
        parts.append(b"}")
        return b"".join(parts)


class DeliveryHeader(StrictModel):
    """A delivery message without its ``data`` (what every call of it repeats)."""

    entity: DeliveryEntity
    sub_entity: NonEmptyStr | None = Field(default=None, alias="subEntity")
    is_default: StrictBool = Field(default=False, alias="isDefault")
    integration_id: NonEmptyStr | None = Field(default=None, alias="integrationId")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    def body(self, items: Sequence[bytes | memoryview], *, integration_id: str | None) -> bytes:
        """A delivery body with ``items`` (each an object's JSON, sent as it is) as ``data``;
        ``integration_id`` fills in a missing one (``None``: leave it out)."""
        head = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        if integration_id:
            head.setdefault("integrationId", integration_id)
        prefix = json.dumps(head, separators=(",", ":"), ensure_ascii=False)[:-1]
        parts: list[bytes | memoryview] = [(prefix + ',"data":[').encode()]
        for index, item in enumerate(items):  # joined once: no intermediate copies
            parts += (b",", item) if index else (item,)
        parts.append(b"]}")
        return b"".join(parts)


class DeliveryMessage(DeliveryHeader):
    """The deliveries topic's message schema (contract §5 body, integration id optional).

    ``register_delivery`` reads a message item by item (:func:`shared.push.delivery.read_delivery`)
    rather than through this model; its JSON schema documents the topic, and both agree.
    """

    data: list[dict[str, Any]] = Field(min_length=1)


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
