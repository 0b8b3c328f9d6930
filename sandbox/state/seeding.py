"""Turn generated payloads into ROIT requests and put them in the store."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.models import RequestStatus
from sandbox.seed.generator import DOCUMENT_TYPES, SeedGenerator
from sandbox.state.store import RequestRecord, Store

__all__ = ["MASTER_TYPES", "seed"]

# Pending entity -> the ``type`` its requests carry (ROIT documents no types for these).
MASTER_TYPES: dict[str, str] = {"PURCHASE_ORDER": "PURCHASE_ORDER", "SUPPLIER": "SUPPLIER"}


def _record(
    gen: SeedGenerator,
    integration_id: str,
    entity: str,
    type_: str,
    status: RequestStatus,
) -> RequestRecord:
    if entity == "DOCUMENT":
        payload = gen.document(type_)
    elif entity == "SUPPLIER":
        payload = gen.supplier()
    else:
        payload = gen.purchase_order()
    metadata = {"source": "sandbox-seed", "documentType": type_}
    if "accessKey" in payload:
        metadata["accessKey"] = payload["accessKey"]
    return RequestRecord(
        id=gen.uuid(),
        request_id=gen.uuid(),
        reference=gen.uuid(),
        integration_id=integration_id,
        entity=entity,
        type=type_,
        master_id=f"MASTER{gen.rng.randrange(10**6):06d}",
        document=payload,
        status=status,
        is_priority=gen.rng.random() < 0.05,
        message="Waiting for integration"
        if status is RequestStatus.PENDING
        else "Document received, not yet ready for integration",
        metadata=metadata,
    )


def seed(
    store: Store,
    gen: SeedGenerator,
    integration_id: str,
    *,
    documents: int = 0,
    master: int = 0,
    received: int = 0,
    types: Sequence[str] | None = None,
) -> list[str]:
    """Add ``documents`` PENDING documents, ``master`` PENDING purchase orders *and*
    ``master`` PENDING suppliers, and ``received`` documents in RECEIVED (not ready).

    Returns:
        The new requestIds, in creation order.

    Raises:
        ValueError: ``types`` names a type other than NFE, NFSE, CTE.
    """
    doc_types = tuple(types) if types else DOCUMENT_TYPES
    unknown = [t for t in doc_types if t not in DOCUMENT_TYPES]
    if unknown:
        raise ValueError(f"unknown document types {unknown}; use {', '.join(DOCUMENT_TYPES)}")
    created: list[str] = []

    def add(entity: str, type_: str, status: RequestStatus) -> None:
        record = _record(gen, integration_id, entity, type_, status)
        store.add(record)
        created.append(record.request_id)

    for _ in range(documents):
        add("DOCUMENT", gen.document_type(doc_types), RequestStatus.PENDING)
    for _ in range(master):
        add("PURCHASE_ORDER", MASTER_TYPES["PURCHASE_ORDER"], RequestStatus.PENDING)
        add("SUPPLIER", MASTER_TYPES["SUPPLIER"], RequestStatus.PENDING)
    for _ in range(received):
        add("DOCUMENT", gen.document_type(doc_types), RequestStatus.RECEIVED)
    return created
