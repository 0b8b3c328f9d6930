"""The ROIT HTTP client: one connection pool per instance, explicit timeouts, bounded retries.

Every call goes through :meth:`RoitClient.call`: it adds the token, retries transient failures
(429 / 5xx / timeouts / connection errors) with exponential backoff and jitter, honours
``Retry-After``, renews the token once on a 401, and never runs past the call's time budget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from shared.errors import (
    AuthenticationError,
    MalformedResponseError,
    RoitConnectionError,
    RoitError,
    RoitTimeoutError,
    error_from_response,
)
from shared.logs import get_logger
from shared.models import (
    DeliveryRequest,
    PendingEntity,
    PendingItem,
    RequestRecord,
    StatusUpdate,
    unwrap_data,
    unwrap_list,
)
from shared.retry import backoff_delay, parse_retry_after, should_retry
from shared.secrets import RoitCredentials, SecretProvider, load_credentials, provider_for
from shared.settings import AuthScheme, RoitSettings
from shared.token import TokenManager

__all__ = ["ENDPOINTS", "RoitClient"]

ENDPOINTS = {
    "pending": "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending",
    "status": "/ibs-core-entrypoint/api/v1/entrypoint/requests/status",
    "attachs": "/ibs-core-entrypoint/api/v1/entrypoint/requests/attachs",
    "reprocess": "/ibs-core-entrypoint/api/v1/entrypoint/requests/reprocess",
    "delivery": "/ibs-core-delivery/api/v1/delivery",
}

log = get_logger("client")


class RoitClient:
    """Typed access to ROIT's External System Integration API.

    Args:
        settings: validated settings.
        secrets: where the credentials secret is read; built from settings when omitted.
        transport: an httpx transport (tests); the default opens real connections.
        sleep: replaceable for tests.
    """

    def __init__(
        self,
        settings: RoitSettings,
        *,
        secrets: SecretProvider | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        if secrets is None and settings.credentials_secret:
            secrets = provider_for(settings)
        self._secrets = secrets
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=settings.base_url,
            timeout=httpx.Timeout(settings.http_timeout_s, connect=settings.http_connect_timeout_s),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            transport=transport,
        )
        self.tokens = TokenManager(
            self._exchange_token, renew_before_s=settings.token_renew_before_s
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # ------------------------------------------------------------------ typed endpoints

    def pending(
        self,
        entity: PendingEntity,
        doc_type: str | None = None,
        *,
        integration_id: str | None = None,
    ) -> list[PendingItem]:
        """One page of pending entities; ROIT marks each PROCESSING as it returns it."""
        answer = self.pending_body(entity, doc_type, integration_id=integration_id)
        return [PendingItem.from_raw(item) for item in unwrap_list(answer)]

    def pending_body(
        self,
        entity: PendingEntity,
        doc_type: str | None = None,
        *,
        integration_id: str | None = None,
    ) -> Any:
        """One raw pending answer, as ROIT sent it (the poller reads it item by item).

        Never retried once the request may have reached ROIT (a read timeout, a dropped
        connection, a 2xx that is not JSON, a 500 / 502 / 504): ROIT may have handed out a
        page already, and asking again would strand another one.
        """
        body: dict[str, Any] = {
            "entity": entity.value,
            "integrationId": integration_id or self.settings.integration_id,
        }
        if doc_type:
            body["type"] = doc_type
        return self.call("pending", body, retry_ambiguous=False)

    def update_status(self, update: StatusUpdate) -> RequestRecord:
        """Report the ERP's result for a request."""
        body = update.to_roit(self.settings.integration_id)
        return self._record(self.call("status", body))

    def reprocess(self, request_id: str, *, integration_id: str | None = None) -> RequestRecord:
        """Ask ROIT to reprocess a request (the sandbox puts it back to PENDING)."""
        return self._record(self.call("reprocess", self._request_body(request_id, integration_id)))

    def attachments(
        self, request_id: str, *, integration_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The documents attached to a request, as ROIT describes them."""
        items = unwrap_list(self.call("attachs", self._request_body(request_id, integration_id)))
        if not all(isinstance(item, dict) for item in items):
            raise MalformedResponseError("ROIT attachment list holds a non-object")
        return items

    def register_delivery(self, delivery: DeliveryRequest) -> Any:
        """Register master / transactional data; returns ROIT's ``data`` as sent."""
        body = delivery.model_dump(by_alias=True, exclude_none=True, mode="json")
        return unwrap_data(self.call("delivery", body))

    def _request_body(self, request_id: str, integration_id: str | None) -> dict[str, Any]:
        return {
            "requestId": request_id,
            "integrationId": integration_id or self.settings.integration_id,
        }

    @staticmethod
    def _record(body: Any) -> RequestRecord:
        data = unwrap_data(body)
        if not isinstance(data, dict):
            raise MalformedResponseError("ROIT answer holds no request record")
        return RequestRecord.model_validate(data)

    # ------------------------------------------------------------------ the one call path

    def call(self, endpoint: str, body: dict[str, Any], *, retry_ambiguous: bool = True) -> Any:
        """POST ``body`` to a named endpoint with auth and retries; returns the parsed JSON.

        ``retry_ambiguous=False`` gives up on a failure after which ROIT may have acted.

        Raises:
            RoitStatusError: a non-2xx answer that is not retried, or still failing at the end.
            RoitConnectionError: ROIT unreachable until the budget or attempts ran out.
            MalformedResponseError: a 2xx answer that is not JSON.
        """
        return self._send(
            ENDPOINTS[endpoint], body, authenticated=True, retry_ambiguous=retry_ambiguous
        )

    def _send(
        self, url: str, body: dict[str, Any], *, authenticated: bool, retry_ambiguous: bool = True
    ) -> Any:
        settings = self.settings
        deadline = time.monotonic() + settings.retry_budget_s
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            token = self._token() if authenticated else None
            started = time.monotonic()
            error: RoitError
            try:
                response = self._post(url, body, token, deadline)
            except RoitConnectionError as exc:
                error = exc
            else:
                if response.status_code == 401 and token is not None and not renewed:
                    renewed = True
                    self.tokens.invalidate(token)
                    log.info(
                        "ROIT refused the token; renewing once",
                        extra={"fields": _f(url, 401, attempt)},
                    )
                    continue
                if response.is_success:
                    try:
                        return response.json()
                    except (ValueError, RecursionError):
                        error = MalformedResponseError(f"ROIT answered {url} with a non-JSON body")
                else:
                    error = error_from_response(
                        response, retry_after_s=parse_retry_after(response.headers)
                    )
            elapsed_ms = round((time.monotonic() - started) * 1000)
            delay = backoff_delay(
                attempt,
                base_s=settings.retry_backoff_base_s,
                cap_s=settings.retry_backoff_max_s,
                error=error,
            )
            give_up = (
                not should_retry(error)
                or isinstance(error, AuthenticationError)  # refused after one renewal: stop
                or (getattr(error, "ambiguous", False) and not retry_ambiguous)
                or attempt >= settings.retry_max_attempts
                or time.monotonic() + delay >= deadline
            )
            fields = {**_f(url, getattr(error, "status_code", None), attempt), "ms": elapsed_ms}
            fields["error"] = type(error).__name__
            if give_up:
                log.warning("ROIT call failed", extra={"fields": fields})
                raise error
            fields["retryInS"] = round(delay, 3)
            log.info("ROIT call failed; retrying", extra={"fields": fields})
            self._sleep(delay)

    def _post(
        self, url: str, body: dict[str, Any], token: str | None, deadline: float
    ) -> httpx.Response:
        headers = {}
        if token is not None:
            headers["Authorization"] = (
                f"Bearer {token}" if self.settings.auth_scheme is AuthScheme.BEARER else token
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RoitTimeoutError(f"no time left in the budget for {url}")
        timeout = httpx.Timeout(
            min(self.settings.http_timeout_s, remaining),
            connect=min(self.settings.http_connect_timeout_s, remaining),
        )
        try:
            return self._http.post(url, json=body, headers=headers, timeout=timeout)
        except (httpx.ConnectTimeout, httpx.PoolTimeout):
            raise RoitTimeoutError(
                f"could not connect to ROIT for {url} in time", ambiguous=False
            ) from None
        except httpx.TimeoutException:
            raise RoitTimeoutError(f"ROIT did not answer {url} in time") from None
        except httpx.DecodingError:
            raise MalformedResponseError(f"ROIT answered {url} with an undecodable body") from None
        except httpx.ConnectError as exc:
            raise RoitConnectionError(
                f"connection to ROIT failed on {url} ({type(exc).__name__})", ambiguous=False
            ) from None
        except httpx.TransportError as exc:
            raise RoitConnectionError(
                f"connection to ROIT broke on {url} ({type(exc).__name__})"
            ) from None

    def _token(self) -> str:
        """The instance's token. A failed exchange is never *ambiguous* for the call that
        needed it: that call was not sent."""
        try:
            return self.tokens.get()
        except (RoitConnectionError, MalformedResponseError) as exc:
            if not exc.ambiguous:
                raise
            raise type(exc)(exc.message, ambiguous=False) from exc

    def _exchange_token(self) -> str:
        settings = self.settings
        credentials = load_credentials(settings, self._secrets)
        try:
            answer = self._send(
                settings.token_endpoint, self._token_body(credentials), authenticated=False
            )
        except AuthenticationError:
            if self._secrets is None or not settings.credentials_secret:
                raise
            # Perhaps the credentials were rotated: read the secret afresh, and if it changed,
            # try once more with the new value.
            self._secrets.invalidate(settings.credentials_secret)
            fresh = load_credentials(settings, self._secrets)
            if fresh == credentials:
                raise
            answer = self._send(
                settings.token_endpoint, self._token_body(fresh), authenticated=False
            )
        token: Any = answer
        for part in settings.token_response_field.split("."):
            token = token.get(part) if isinstance(token, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponseError(
                f"token response has no string at {settings.token_response_field!r} "
                "(set ROIT_TOKEN_RESPONSE_FIELD)"
            )
        log.info("ROIT token exchanged", extra={"fields": {"endpoint": "token"}})
        return token

    def _token_body(self, credentials: RoitCredentials) -> dict[str, Any]:
        return {
            self.settings.token_client_id_field: credentials.client_id,
            self.settings.token_client_secret_field: credentials.client_secret,
        }


def _f(url: str, status: int | None, attempt: int) -> dict[str, Any]:
    return {"endpoint": url, "status": status, "attempt": attempt}
