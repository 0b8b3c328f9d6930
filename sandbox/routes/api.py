"""The ROIT-shaped endpoints (contract §4-§8) and the attached-file download (the token
endpoint, §2, is :mod:`sandbox.routes.token`)."""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.context import Context, Handler
from sandbox.models import (
    AttachsBody,
    DeliveryBody,
    DeliveryEntity,
    PendingBody,
    ReprocessBody,
    RequestStatus,
    StatusBody,
)
from sandbox.responses import ApiError, FieldError, Request, Response, parse_body, success
from sandbox.seed.attachments import files_of
from sandbox.seed.fiscal import is_valid_national_register
from sandbox.state.store import NotFoundError, RequestRecord, utc_now_iso
from sandbox.state.tokens import AuthError

__all__ = ["ROUTES", "attachs", "delivery", "file", "pending", "reprocess", "status"]

ENTRYPOINT = "/ibs-core-entrypoint/api/v1/entrypoint/requests/"

# Attachments exist only once a request is ready for integration or integrated.
_ATTACHABLE = {
    RequestStatus.PENDING,
    RequestStatus.PROCESSING,
    RequestStatus.DONE,
    RequestStatus.WARNING,
}


def _authenticate(ctx: Context, request: Request) -> None:
    try:
        ctx.tokens.check_header(request.header("authorization"))
    except AuthError as exc:
        raise ApiError(401, f"Unauthorized: {exc}") from exc


def _find(ctx: Context, request_id: str, integration_id: str) -> RequestRecord:
    try:
        return ctx.store.get(request_id, integration_id)
    except NotFoundError as exc:
        raise ApiError(
            404,
            f"Request not found: requestId {request_id!r}",
            [{"field": "requestId", "message": "no request with this id for this integration"}],
        ) from exc


def pending(ctx: Context, request: Request, _: list[str]) -> Response:
    """Return up to page-size PENDING entities and atomically mark them PROCESSING."""
    _authenticate(ctx, request)
    body = parse_body(request, PendingBody)
    ctx.check_integration(body.integrationId)
    taken = ctx.store.take_pending(
        body.integrationId, body.entity.value, body.type, ctx.config.page_size
    )
    records = [record.to_roit(with_document=True) for record in taken]
    message = f"{len(records)} pending entities found" if records else "No pending entities"
    return success(records, message)


def status(ctx: Context, request: Request, _: list[str]) -> Response:
    """Report the ERP's integration result for a request."""
    _authenticate(ctx, request)
    body = parse_body(request, StatusBody)
    ctx.check_integration(body.integrationId)
    _find(ctx, body.requestId, body.integrationId)
    fields: dict[str, Any] = {
        "reference": body.reference,
        "message": body.message,
        "entry_reference": body.entryReference,
        "entry_date": body.entryDate.isoformat().replace("+00:00", "Z") if body.entryDate else None,
        "system_info": body.systemInfo,
        "metadata": body.metadata,
    }
    try:
        record = ctx.store.update_status(body.requestId, body.integrationId, body.status, fields)
    except ValueError as exc:
        raise ApiError(
            400,
            "Reference does not match the request",
            [{"field": "reference", "message": str(exc)}],
        ) from exc
    return success(record, "Status updated successfully")


def reprocess(ctx: Context, request: Request, _: list[str]) -> Response:
    """Put a request back in the queue (PENDING)."""
    _authenticate(ctx, request)
    body = parse_body(request, ReprocessBody)
    ctx.check_integration(body.integrationId)
    _find(ctx, body.requestId, body.integrationId)
    record = ctx.store.reprocess(body.requestId, body.integrationId)
    return success(record, "Request sent to reprocess")


def attachs(ctx: Context, request: Request, _: list[str]) -> Response:
    """List the files attached to a request that is ready or integrated."""
    _authenticate(ctx, request)
    body = parse_body(request, AttachsBody)
    ctx.check_integration(body.integrationId)
    record = _find(ctx, body.requestId, body.integrationId)
    if record.status not in _ATTACHABLE:
        raise ApiError(
            409,
            f"Request is not ready for integration (status {record.status.value}); "
            "attachments are available once it is ready or integrated",
            [{"field": "requestId", "message": f"status {record.status.value}"}],
        )
    files = [f.describe(record.request_id, request.base_url) for f in files_of(record)]
    return success(files, f"{len(files)} attached files")


def file(ctx: Context, request: Request, params: list[str]) -> Response:
    """``GET /files/<requestId>/<fileName>``: the bytes of one attached file (no auth,
    like a signed URL)."""
    if len(params) == 2:
        try:
            record = ctx.store.get(params[0])
        except NotFoundError:
            record = None
        for attached in files_of(record) if record else []:
            if attached.name == params[1]:
                headers = {"Content-Disposition": f'attachment; filename="{attached.name}"'}
                return Response(200, attached.content, attached.content_type, headers)
    raise ApiError(404, "File not found")


def _delivery_item_errors(entity: DeliveryEntity, data: list[dict[str, Any]]) -> list[FieldError]:
    errors: list[FieldError] = []
    for index, item in enumerate(data):
        if entity is DeliveryEntity.PURCHASE_ORDER:
            number = item.get("purchaseNumber")
            if not isinstance(number, str) or not number.strip():
                errors.append(
                    {
                        "field": f"data[{index}].purchaseNumber",
                        "message": "required: a non-empty string",
                    }
                )
        elif entity is DeliveryEntity.SUPPLIER:
            register = item.get("nationalRegister")
            if not isinstance(register, str) or not is_valid_national_register(register):
                errors.append(
                    {
                        "field": f"data[{index}].nationalRegister",
                        "message": "required: a valid CNPJ (14 digits) or CPF (11 digits)",
                    }
                )
    return errors


def delivery(ctx: Context, request: Request, _: list[str]) -> Response:
    """Register master / transactional data (contract §5); stored for inspection."""
    _authenticate(ctx, request)
    body = parse_body(request, DeliveryBody)
    errors = _delivery_item_errors(body.entity, body.data)
    if errors:
        raise ApiError(400, "Validation failed", errors)
    ctx.check_integration(body.integrationId)
    delivery_id = str(uuid.uuid4())
    ctx.store.add_delivery(
        {
            "deliveryId": delivery_id,
            "entity": body.entity.value,
            "subEntity": body.subEntity,
            "isDefault": body.isDefault,
            "integrationId": body.integrationId,
            "received": len(body.data),
            "receivedAt": utc_now_iso(),
            "data": body.data,
        }
    )
    data = {"deliveryId": delivery_id, "entity": body.entity.value, "received": len(body.data)}
    return success(data, "Delivery registered successfully")


# Werkzeug rule -> (stats endpoint name, {method: handler}); the token path is the config's.
ROUTES: dict[str, tuple[str, dict[str, Handler]]] = {
    ENTRYPOINT + "pending": ("pending", {"POST": pending}),
    ENTRYPOINT + "status": ("status", {"POST": status}),
    ENTRYPOINT + "reprocess": ("reprocess", {"POST": reprocess}),
    ENTRYPOINT + "attachs": ("attachs", {"POST": attachs}),
    "/ibs-core-delivery/api/v1/delivery": ("delivery", {"POST": delivery}),
    "/files/<rest:params>": ("files", {"GET": file}),
}
