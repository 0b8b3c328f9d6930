"""Request bodies of the ROIT-shaped API and the control API (pydantic, strict types).

ROIT-shaped bodies ignore fields they do not know (like a server that whitelists), but
every known field is type-checked strictly: ``"entity": 5`` or ``"isDefault": "yes"`` is a 400.

The enums repeat ``shared.roit.models`` on purpose: the sandbox is the test oracle for the
connector, so it is written from the contract on its own. Were it to import the connector's enums,
a wrong value there would be accepted here too and no test would notice.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.config import TokenShape

__all__ = [
    "AttachsBody",
    "ConfigBody",
    "DeliveryBody",
    "DeliveryEntity",
    "PendingBody",
    "PendingEntity",
    "ReprocessBody",
    "RequestStatus",
    "ResetBody",
    "SeedBody",
    "StatusBody",
    "TokenBody",
]


class PendingEntity(StrEnum):
    """The 9 entities of the pending endpoint (contract §4)."""

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
    """The 17 entities of the delivery endpoint (contract §5)."""

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


_ROIT = ConfigDict(strict=True, extra="ignore")
_CONTROL = ConfigDict(strict=True, extra="forbid")
NonEmpty = Field(min_length=1)


class TokenBody(BaseModel):
    model_config = _ROIT
    clientId: str = Field(min_length=1)
    clientSecret: str = Field(min_length=1)


class PendingBody(BaseModel):
    model_config = _ROIT
    entity: PendingEntity
    integrationId: str = Field(min_length=1)
    type: str | None = None


class StatusBody(BaseModel):
    model_config = _ROIT
    status: RequestStatus
    reference: str = Field(min_length=1)
    message: str
    requestId: str = Field(min_length=1)
    integrationId: str = Field(min_length=1)
    entryReference: int | str | None = None
    entryDate: datetime | None = None
    systemInfo: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ReprocessBody(BaseModel):
    model_config = _ROIT
    requestId: str = Field(min_length=1)
    integrationId: str = Field(min_length=1)


class AttachsBody(ReprocessBody):
    pass


class DeliveryBody(BaseModel):
    model_config = _ROIT
    isDefault: bool = False
    integrationId: str = Field(min_length=1)
    entity: DeliveryEntity
    subEntity: str | None = None
    data: list[dict[str, Any]] = Field(min_length=1)


# -- control API (/_sandbox/) -------------------------------------------------------------
class SeedBody(BaseModel):
    """``POST /_sandbox/seed``: how many entities to add (all PENDING except ``received``)."""

    model_config = _CONTROL
    documents: int = Field(default=0, ge=0, le=1_000_000)
    master: int = Field(default=0, ge=0, le=100_000)
    received: int = Field(default=0, ge=0, le=100_000)
    types: list[str] | None = None
    integrationId: str | None = None


class ResetBody(BaseModel):
    """``POST /_sandbox/reset``: clear everything, then optionally reseed."""

    model_config = _CONTROL
    seed: int | None = Field(default=None, ge=0, le=1_000_000)
    master: int | None = Field(default=None, ge=0, le=100_000)
    received: int | None = Field(default=None, ge=0, le=100_000)


class ConfigBody(BaseModel):
    """``PUT /_sandbox/config``: runtime settings (omitted fields are unchanged)."""

    model_config = _CONTROL
    token_lifetime_s: int | None = Field(default=None, ge=1)
    page_size: int | None = Field(default=None, ge=1, le=100_000)
    token_shape: TokenShape | None = None
    token_required_fields: dict[str, str] | None = None
    opaque_tokens: bool | None = None
    gzip: bool | None = None
    token_path: str | None = Field(default=None, min_length=1)
    client_secret: str | None = Field(default=None, min_length=1)
