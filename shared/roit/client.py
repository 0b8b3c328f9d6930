"""The ROIT client: typed endpoints over one call path.

Every call (:meth:`RoitClient.call`) runs inside a deadline of ``ROIT_RETRY_BUDGET_S`` nested
in the invocation's: the token exchange when one is due, each attempt, reading each answer,
the retries and their ``Retry-After`` waits all end by it. A 401 renews the token once. The
connection handling lives in :mod:`shared.roit._transport`, the retry decision in
:mod:`shared.roit.retry`, the token exchange in :mod:`shared.roit.exchange` /
:mod:`shared.roit.token`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
from pydantic import ValidationError

from shared.core import deadline
from shared.core.budget import instance_caps
from shared.core.errors import (
    Failure,
    InvocationDeadlineError,
    MalformedResponseError,
    RoitTimeoutError,
    TokenExchangeError,
)
from shared.core.logs import get_logger
from shared.core.secret_files import provider_for
from shared.core.secrets import SecretProvider
from shared.core.settings import AuthScheme, RoitSettings
from shared.roit._transport import Answer, Transport
from shared.roit.answers import check_record_head, check_success
from shared.roit.exchange import TokenExchange
from shared.roit.models import (
    DeliveryHeader,
    PendingEntity,
    RequestRecord,
    StatusUpdate,
    unwrap_data,
    unwrap_list,
)
from shared.roit.pages import Page, read_page
from shared.roit.retry import RetryPolicy, retrying
from shared.roit.token import TokenManager

__all__ = ["ENDPOINTS", "RoitClient"]

ENDPOINTS = {
    "pending": "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending",
    "status": "/ibs-core-entrypoint/api/v1/entrypoint/requests/status",
    "attachs": "/ibs-core-entrypoint/api/v1/entrypoint/requests/attachs",
    "reprocess": "/ibs-core-entrypoint/api/v1/entrypoint/requests/reprocess",
    "delivery": "/ibs-core-delivery/api/v1/delivery",
}

log = get_logger("client")
T = TypeVar("T")


class RoitClient:
    """Typed access to ROIT's External System Integration API.

    Args:
        settings: validated settings.
        secrets: where the credentials secret is read; built from settings when omitted.
        transport: an httpx transport (tests); the default opens real, deadline-bound
            connections.
        sleep: replaceable for tests.
        clock: the epoch-seconds clock a token's expiry is read on; replaceable for tests.
    """

    def __init__(
        self,
        settings: RoitSettings,
        *,
        secrets: SecretProvider | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        if secrets is None and (settings.credentials_file or settings.credentials_secret):
            secrets = provider_for(settings)
        self._sleep = sleep
        self._policy = RetryPolicy(
            settings.retry_max_attempts, settings.retry_backoff_base_s, settings.retry_backoff_max_s
        )
        caps = instance_caps(settings)  # per instance: memory and concurrency (shared.core.budget)
        self.transport = Transport(
            base_url=settings.base_url,
            connect_timeout_s=settings.http_connect_timeout_s,
            read_timeout_s=settings.http_timeout_s,
            max_bytes=caps.response_bytes,
            max_values=caps.response_values,
            transport=transport,
        )
        self.exchange = TokenExchange(settings, self.transport, secrets, sleep=sleep)
        self.tokens = TokenManager(
            self.exchange, renew_before_s=settings.token_renew_before_s, clock=clock
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.transport.close()

    # ------------------------------------------------------------------ typed endpoints

    def pending_request(self, entity: PendingEntity, doc_type: str | None = None) -> bytes:
        """The body of a pending call for one target (built once per target and run)."""
        body: dict[str, Any] = {
            "entity": entity.value,
            "integrationId": self.settings.integration_id,
        }
        if doc_type:
            body["type"] = doc_type
        return _encode(body)

    def pending_page(self, request: bytes) -> Page:
        """One pending answer: each item parsed and with its own bytes, as ROIT sent them.

        Never retried once the request may have reached ROIT (a timeout after sending, a
        dropped connection, an unreadable or oversized answer, a 5xx but 503 and its kind): ROIT may
        have handed out a page already, and asking again would strand another one.
        """
        return self.call("pending", request, retry_ambiguous=False, read=_page)

    def update_status(self, update: StatusUpdate) -> None:
        """Report the ERP's result for a request. ROIT's answer (the request record, which
        repeats whatever ``metadata`` was sent) is not needed: only its head is read, to check
        it is ROIT's success envelope (:mod:`shared.roit.answers`)."""
        body = update.to_roit(self.settings.integration_id)
        self.call("status", body, read=_recorded, discard=True)

    def reprocess(self, request_id: str, *, integration_id: str | None = None) -> RequestRecord:
        """Ask ROIT to reprocess a request (the sandbox puts it back to PENDING)."""
        return _record(self.call("reprocess", self._request_body(request_id, integration_id)))

    def attachments(
        self, request_id: str, *, integration_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The documents attached to a request, as ROIT describes them."""
        items = unwrap_list(self.call("attachs", self._request_body(request_id, integration_id)))
        if not all(isinstance(item, dict) for item in items):
            raise MalformedResponseError("ROIT attachment list holds a non-object")
        return items

    def register_delivery(self, header: DeliveryHeader, items: Sequence[bytes | memoryview]) -> Any:
        """Register master / transactional data (``items``: each one object's JSON, sent as
        it is); returns ROIT's ``data`` as sent."""
        body = header.body(items, integration_id=self.settings.integration_id)
        return unwrap_data(self.call("delivery", body))

    def _request_body(self, request_id: str, integration_id: str | None) -> bytes:
        return _encode(
            {
                "requestId": request_id,
                "integrationId": integration_id or self.settings.integration_id,
            }
        )

    # ------------------------------------------------------------------ the one call path

    def call(
        self,
        endpoint: str,
        content: bytes,
        *,
        retry_ambiguous: bool = True,
        read: Callable[[Answer], T] = Answer.json_or_raise,
        discard: bool = False,
    ) -> T:
        """POST ``content`` (JSON) to a named endpoint with the token; returns ``read(answer)``,
        by default ROIT's JSON.

        ``retry_ambiguous=False`` gives up on a failure after which ROIT may have acted;
        ``discard`` drops a 2xx answer's body unread (see :meth:`Transport.post`).

        Raises:
            RoitError: see :mod:`shared.core.errors`; the failure, whether ROIT may have acted, and
                for configuration failures the setting to check, are on the error.
        """
        url = ENDPOINTS[endpoint]
        renewed = False

        def attempt() -> T:
            nonlocal renewed
            token = self.tokens.get()
            answer = self._post(url, content, token, discard)
            if answer.status == 401 and not renewed:
                renewed = True
                self.tokens.invalidate(token)
                log.info(
                    "ROIT refused the token; renewing once", extra={"fields": {"endpoint": url}}
                )
                answer = self._post(url, content, self.tokens.get(), discard)
            return read(answer)

        invocation = deadline.current()
        with deadline.deadline_scope(self.settings.retry_budget_s):
            try:
                return retrying(
                    attempt,
                    self._policy,
                    endpoint=url,
                    retry_ambiguous=retry_ambiguous,
                    sleep=self._sleep,
                )
            except (RoitTimeoutError, TokenExchangeError) as exc:
                if time.monotonic() < invocation or exc.failure is not Failure.UPSTREAM:
                    raise  # the call's own budget ran out, or the token was refused
                raise InvocationDeadlineError(
                    f"the invocation's deadline came during {url}: {exc.message}",
                    ambiguous=exc.ambiguous,
                ) from exc

    def _post(self, url: str, content: bytes, token: str, discard: bool) -> Answer:
        scheme = self.settings.auth_scheme
        value = f"Bearer {token}" if scheme is AuthScheme.BEARER else token
        headers = {"Authorization": value, "Content-Type": "application/json"}
        return self.transport.post(url, content=content, headers=headers, discard=discard)


def _page(answer: Answer) -> Page:
    answer.raise_for_status()
    page = read_page(answer.body, answer.endpoint)
    check_success(page.answer, answer.endpoint)
    return page


def _recorded(answer: Answer) -> None:
    """A record call's answer (its head) is ROIT's success envelope, or ROIT misbehaved."""
    answer.raise_for_status()
    check_record_head(answer.body, answer.endpoint, complete=answer.complete)


def _encode(body: dict[str, Any]) -> bytes:
    """Our own request bodies: already validated, so they always encode."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _record(body: Any) -> RequestRecord:
    if not isinstance(body, dict) or "data" not in body:
        raise MalformedResponseError("ROIT's answer is not its success envelope")
    data = unwrap_data(body)
    if not isinstance(data, dict):
        raise MalformedResponseError("ROIT answer holds no request record")
    try:
        return RequestRecord.model_validate(data)
    except ValidationError:
        raise MalformedResponseError("ROIT's request record is unreadable") from None
