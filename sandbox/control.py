"""A small typed client of the sandbox's control API (``/_sandbox/``), for tests,
the local stack and the demo.

    control = SandboxControl("http://127.0.0.1:8080")
    control.reset(documents=100)
    control.set_fault("pending", fail_next=2, error_status=503)
    control.stats()["calls"]["pending"]
    control.configure(token_shape="oauth2-basic", opaque_tokens=True)
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, TypedDict, cast

import httpx

__all__ = [
    "Credentials",
    "RequestState",
    "RequestsSummary",
    "SandboxControl",
    "SandboxControlError",
    "Stats",
]


class SandboxControlError(RuntimeError):
    """The control API answered with an error status."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"sandbox control API answered {status_code}: {body[:500]}")
        self.status_code = status_code
        self.body = body


class HistoryEntry(TypedDict):
    status: str
    at: str
    source: str


class RequestState(TypedDict):
    requestId: str
    reference: str
    integrationId: str
    entity: str
    type: str | None
    status: str
    timesReturned: int
    message: str
    entryReference: int | str | None
    createdAt: str
    updatedAt: str
    history: list[HistoryEntry]


class Stats(TypedDict):
    calls: dict[str, dict[str, int]]
    tokenExchanges: int
    latencySpikes: dict[str, int]
    hangups: dict[str, int]
    gzipAnswers: int
    requestsByStatus: dict[str, int]
    requests: int
    deliveries: int
    deliveredItems: int


class RequestsSummary(TypedDict):
    count: int
    byStatus: dict[str, int]
    requestIds: dict[str, list[str]]
    timesReturned: dict[str, int]
    returnedMoreThanOnce: list[str]
    droppedAfterCommit: list[list[str]]


@dataclass(frozen=True)
class Credentials:
    """What a client needs to talk to this sandbox as if it were ROIT."""

    base_url: str
    client_id: str
    client_secret: str
    integration_ids: tuple[str, ...]
    auth_scheme: str
    token_path: str
    token_lifetime_s: int
    page_size: int
    token_shape: str = "roit-json"
    token_required_fields: dict[str, str] = field(default_factory=dict)
    opaque_tokens: bool = False
    gzip: bool = False

    @property
    def integration_id(self) -> str:
        return self.integration_ids[0]

    @property
    def token_url(self) -> str:
        return self.base_url + self.token_path


class SandboxControl:
    """Typed wrapper of every ``/_sandbox/`` endpoint.

    Args:
        base_url: the sandbox URL, e.g. ``http://127.0.0.1:8080``.
        timeout_s: per-call timeout.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url + "/_sandbox", timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise SandboxControlError(response.status_code, response.text)
        return cast(dict[str, Any], response.json())

    # -- inspection ------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``GET /_sandbox/health``."""
        return self._call("GET", "/health")

    def stats(self) -> Stats:
        """Calls per endpoint by status code, token exchanges, requests per status."""
        return cast(Stats, self._call("GET", "/stats"))

    def requests(
        self,
        status: str | None = None,
        entity: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[RequestState]:
        """The state of every request matching the filters."""
        params = {"status": status, "entity": entity, "type": type, "limit": limit}
        query = {k: v for k, v in params.items() if v is not None}
        return cast(list[RequestState], self._call("GET", "/requests", params=query)["data"])

    def request(self, request_id: str) -> dict[str, Any]:
        """One request: its state, history and ``record`` (the ROIT record with document)."""
        return self._call("GET", f"/requests/{request_id}")

    def deliveries(self, entity: str | None = None) -> list[dict[str, Any]]:
        """Every delivery received, oldest first."""
        params = {"entity": entity} if entity else {}
        return cast(list[dict[str, Any]], self._call("GET", "/deliveries", params=params)["data"])

    def requests_summary(
        self, entity: str | None = None, type: str | None = None
    ) -> RequestsSummary:
        """Counts and requestIds per status, ``timesReturned`` per request and the requests
        ``pending`` returned more than once, and the request ids of every page whose answer was
        dropped after it was committed; cheap with thousands of requests."""
        params = {k: v for k, v in {"entity": entity, "type": type}.items() if v is not None}
        return cast(RequestsSummary, self._call("GET", "/requests/summary", params=params))

    def credentials(self) -> Credentials:
        """Client id / secret, integration ids, auth scheme, token path, shape and the other
        settings a client of this sandbox needs."""
        cfg = self._call("GET", "/config")
        return Credentials(
            base_url=self.base_url,
            client_id=cfg["client_id"],
            client_secret=cfg["client_secret"],
            integration_ids=tuple(cfg["integration_ids"]),
            auth_scheme=cfg["auth_scheme"],
            token_path=cfg["token_path"],
            token_lifetime_s=cfg["token_lifetime_s"],
            page_size=cfg["page_size"],
            token_shape=cfg["token_shape"],
            token_required_fields=dict(cfg["token_required_fields"]),
            opaque_tokens=cfg["opaque_tokens"],
            gzip=cfg["gzip"],
        )

    def issue_token(self) -> str:
        """A valid token, obtained from the token endpoint in its current shape (for test
        set-ups; it counts as a token exchange)."""
        creds = self.credentials()
        fields = dict(creds.token_required_fields)
        if creds.token_shape == "roit-json":
            body = {"clientId": creds.client_id, "clientSecret": creds.client_secret, **fields}
            response = self._http.post(creds.token_url, json=body)
        else:
            form = {"grant_type": "client_credentials", **fields}
            headers = {}
            if creds.token_shape == "oauth2-basic":
                pair = f"{creds.client_id}:{creds.client_secret}".encode()
                headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            else:
                form.update(client_id=creds.client_id, client_secret=creds.client_secret)
            response = self._http.post(creds.token_url, data=form, headers=headers)
        if response.status_code != 200:
            raise SandboxControlError(response.status_code, response.text)
        answer = response.json()
        if creds.token_shape == "roit-json":
            return cast(str, answer["data"]["token"])
        return cast(str, answer["access_token"])

    # -- control ---------------------------------------------------------------------------
    def reset(self, documents: int = 0, master: int = 0, received: int = 0) -> list[str]:
        """Clear requests, deliveries, counters and faults, then seed; return the new ids."""
        body = {"seed": documents, "master": master, "received": received}
        return cast(list[str], self._call("POST", "/reset", json=body)["requestIds"])

    def seed(
        self,
        documents: int = 0,
        master: int = 0,
        received: int = 0,
        types: list[str] | None = None,
        integration_id: str | None = None,
    ) -> list[str]:
        """Add PENDING documents (of ``types``), ``master`` purchase orders + suppliers and
        ``received`` not-ready documents; return the new requestIds."""
        body: dict[str, Any] = {"documents": documents, "master": master, "received": received}
        if types is not None:
            body["types"] = types
        if integration_id is not None:
            body["integrationId"] = integration_id
        return cast(list[str], self._call("POST", "/seed", json=body)["requestIds"])

    def set_fault(self, endpoint: str, **spec: float | int) -> dict[str, Any]:
        """Arm faults on one endpoint (replaces its previous faults), e.g.
        ``set_fault("pending", rate_limit_next=1, retry_after=2)`` or
        ``set_fault("pending", slow_body_next=1, drip_bytes=64, drip_interval_ms=100)``;
        every key is listed in ``sandbox/README.md`` (*Faults*)."""
        return self._call("PUT", f"/faults/{endpoint}", json=spec)

    def clear_faults(self, endpoint: str | None = None) -> None:
        """Disarm the faults of one endpoint, or of all."""
        self._call("DELETE", f"/faults/{endpoint}" if endpoint else "/faults")

    def faults(self) -> dict[str, dict[str, Any]]:
        """The faults still armed, per endpoint."""
        return cast(dict[str, dict[str, Any]], self._call("GET", "/faults")["faults"])

    def revoke_tokens(self) -> None:
        """Invalidate every token issued so far."""
        self._call("POST", "/revoke-tokens")

    def configure(
        self,
        token_lifetime_s: int | None = None,
        page_size: int | None = None,
        *,
        token_shape: str | None = None,
        token_required_fields: dict[str, str] | None = None,
        opaque_tokens: bool | None = None,
        gzip: bool | None = None,
        token_path: str | None = None,
        client_secret: str | None = None,
    ) -> dict[str, Any]:
        """Change settings at run time (``None`` leaves one as it is); returns them all.

        Args:
            token_lifetime_s: lifetime of tokens issued from now on.
            page_size: max entities one ``pending`` call returns.
            token_shape: ``roit-json``, ``oauth2-form`` or ``oauth2-basic``.
            token_required_fields: fields every token request must carry with these values
                (``{}`` removes the requirement).
            opaque_tokens: issue opaque tokens (True) or JWTs (False) from now on; tokens
                already issued stay valid until they expire or are revoked.
            gzip: gzip answers when the request's ``Accept-Encoding`` allows it.
            token_path: the token endpoint's path (the old path then answers 404).
            client_secret: rotate the accepted client secret (the old one is refused from
                now on; tokens already issued stay valid until revoked or expired).
        """
        body = {
            "token_lifetime_s": token_lifetime_s,
            "page_size": page_size,
            "token_shape": token_shape,
            "token_required_fields": token_required_fields,
            "opaque_tokens": opaque_tokens,
            "gzip": gzip,
            "token_path": token_path,
            "client_secret": client_secret,
        }
        return self._call("PUT", "/config", json={k: v for k, v in body.items() if v is not None})
