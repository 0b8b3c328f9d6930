"""The ROIT client against the ROIT sandbox running as a real process over loopback.

No mock of httpx: every failure here is produced by the sandbox's fault injection.
"""

from __future__ import annotations

import threading
import time

import pytest
from roit_pending import pending

from shared.core.errors import (
    Failure,
    MalformedResponseError,
    NotFoundError,
    RateLimitError,
    RoitConnectionError,
    RoitTimeoutError,
    ServerError,
    TokenExchangeError,
)
from shared.roit.models import DeliveryEntity, DeliveryHeader, PendingEntity, StatusUpdate
from shared.roit.token import token_expiry

pytestmark = pytest.mark.integration


def _calls(sandbox, endpoint: str) -> dict[str, int]:
    return sandbox.control.stats()["calls"].get(endpoint, {})


def test_every_endpoint_round_trip(sandbox, make_client) -> None:
    ids = sandbox.control.reset(documents=3)
    sandbox.control.seed(master=2)
    client = make_client()

    items = pending(client, PendingEntity.DOCUMENT)
    assert {i.record.request_id for i in items} == set(ids)
    first = items[0]
    assert "document" in first.raw  # the payload ROIT sent is kept whole
    assert pending(client, PendingEntity.DOCUMENT) == []

    update = StatusUpdate.model_validate(
        {
            "requestId": first.record.request_id,
            "reference": first.record.reference,
            "status": "DONE",
            "message": "posted",
            "entryReference": 42,
        }
    )
    client.update_status(update)
    assert sandbox.control.request(first.record.request_id)["status"] == "DONE"

    files = client.attachments(first.record.request_id)
    assert files and all("fileName" in f for f in files)

    client.reprocess(first.record.request_id)
    assert sandbox.control.request(first.record.request_id)["status"] == "PENDING"
    again = pending(client, PendingEntity.DOCUMENT)
    assert [i.record.request_id for i in again] == [first.record.request_id]

    result = client.register_delivery(
        DeliveryHeader(entity=DeliveryEntity.COST_CENTER), [b'{"code":"CC-1","name":"Finance"}']
    )
    assert result["received"] == 1
    (delivery,) = sandbox.control.deliveries()
    assert delivery["data"] == [{"code": "CC-1", "name": "Finance"}]
    assert delivery["integrationId"] == sandbox.integration_id
    assert sandbox.control.stats()["tokenExchanges"] == 1


def test_token_renewed_after_expiry(sandbox, make_client) -> None:
    sandbox.control.configure(token_lifetime_s=60)
    now = [time.time()]
    client = make_client(clock=lambda: now[0])
    pending(client, PendingEntity.DOCUMENT)
    expires_at = token_expiry(client.tokens.get(), issued_at=now[0])
    assert expires_at - now[0] <= 61  # the lifetime came from the JWT's exp
    now[0] = expires_at + 0.05  # the client's clock passes the token's exp: no waiting
    pending(client, PendingEntity.DOCUMENT)
    assert sandbox.control.stats()["tokenExchanges"] == 2
    assert "401" not in _calls(sandbox, "pending")  # renewed ahead, never refused


def test_revoked_token_is_renewed_once(sandbox, make_client) -> None:
    client = make_client()
    pending(client, PendingEntity.DOCUMENT)
    sandbox.control.revoke_tokens()
    pending(client, PendingEntity.DOCUMENT)
    assert _calls(sandbox, "pending") == {"200": 2, "401": 1}
    assert sandbox.control.stats()["tokenExchanges"] == 2


def test_rate_limit_honours_retry_after(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps)
    sandbox.control.set_fault("pending", rate_limit_next=1, retry_after=2)
    assert pending(client, PendingEntity.DOCUMENT) == []
    assert sleeps.delays == [2.0]
    assert _calls(sandbox, "pending") == {"429": 1, "200": 1}


def test_retry_after_beyond_the_budget_gives_up_at_once(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps, retry_budget_s=5.0)
    sandbox.control.set_fault("pending", rate_limit_next=3, retry_after=60)
    with pytest.raises(RateLimitError) as info:
        pending(client, PendingEntity.DOCUMENT)
    assert info.value.retry_after_s == 60
    assert sleeps.delays == []


def test_server_errors_are_retried_then_succeed(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps)
    sandbox.control.set_fault("status", fail_next=2, error_status=503)
    sandbox.control.seed(documents=1)
    (item,) = pending(client, PendingEntity.DOCUMENT)
    update = StatusUpdate(
        request_id=item.record.request_id, reference=item.record.reference,
        status="ERROR", message="rejected by ERP",
    )  # fmt: skip
    client.update_status(update)
    assert _calls(sandbox, "status") == {"503": 2, "200": 1}
    assert len(sleeps.delays) == 2 and sleeps.delays[1] > sleeps.delays[0] * 1.2


def test_persistent_server_errors_end_after_max_attempts(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps, retry_max_attempts=3)
    sandbox.control.set_fault("attachs", error_rate=1.0, error_status=500)
    with pytest.raises(ServerError):
        client.attachments("r")
    assert _calls(sandbox, "attachs") == {"500": 3}


@pytest.mark.parametrize(("status", "calls"), [(500, 1), (502, 1), (504, 1), (503, 3)])
def test_pending_retries_only_the_5xx_that_say_nothing_was_done(
    sandbox, make_client, sleeps, status, calls
) -> None:
    client = make_client(sleep=sleeps, retry_max_attempts=3)
    sandbox.control.set_fault("pending", error_rate=1.0, error_status=status)
    with pytest.raises(ServerError) as info:
        pending(client, PendingEntity.DOCUMENT)
    assert info.value.ambiguous is (status != 503)
    assert _calls(sandbox, "pending") == {str(status): calls}


def test_client_errors_are_not_retried(sandbox, make_client) -> None:
    client = make_client()
    with pytest.raises(NotFoundError) as info:
        client.reprocess("no-such-request")
    assert info.value.status_code == 404
    assert _calls(sandbox, "reprocess") == {"404": 1}


def test_timeouts_are_retried_then_typed(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps, http_timeout_s=0.3, retry_max_attempts=2)
    sandbox.control.set_fault("attachs", latency_ms=1500)
    with pytest.raises(RoitTimeoutError):
        client.attachments("any")


def test_dropped_connection_is_retried(sandbox, make_client, sleeps) -> None:
    sandbox.control.reset(documents=1)
    (state,) = sandbox.control.requests()
    client = make_client(sleep=sleeps)
    client.attachments(state["requestId"])  # warm: the drop hits a pooled keep-alive connection
    sandbox.control.set_fault("attachs", drop_next=1)
    assert client.attachments(state["requestId"])
    assert len(sleeps.delays) == 1
    sandbox.control.set_fault("attachs", drop_rate=1.0)
    with pytest.raises(RoitConnectionError) as info:
        client.attachments(state["requestId"])
    assert info.value.ambiguous  # the request may have reached ROIT


def test_malformed_body_is_retried_then_typed(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps, retry_max_attempts=2)
    sandbox.control.set_fault("attachs", malformed_next=1)
    with pytest.raises(NotFoundError):  # retried past the malformed answer, then a real 404
        client.attachments("unknown")
    sandbox.control.set_fault("attachs", malformed_next=5)
    with pytest.raises(MalformedResponseError):
        client.attachments("unknown")


@pytest.mark.parametrize(
    "fault", [{"drop_next": 1}, {"malformed_next": 1}, {"drop_after_commit_next": 1}]
)
def test_pending_is_never_retried_once_roit_may_have_handed_out_a_page(
    sandbox, make_client, sleeps, fault
) -> None:
    sandbox.control.reset(documents=3)
    client = make_client(sleep=sleeps)
    pending(client, PendingEntity.SUPPLIER)  # warm the connection and the token
    sandbox.control.set_fault("pending", **fault)
    with pytest.raises((RoitConnectionError, MalformedResponseError)) as info:
        pending(client, PendingEntity.DOCUMENT)
    assert info.value.ambiguous
    assert sleeps.delays == []  # a retry could have stranded a second page


def test_pending_is_retried_when_roit_surely_did_nothing(sandbox, make_client, sleeps) -> None:
    client = make_client(sleep=sleeps)
    sandbox.control.set_fault("pending", fail_next=1, error_status=503)
    assert pending(client, PendingEntity.DOCUMENT) == []
    assert len(sleeps.delays) == 1


def test_wrong_credentials_fail_typed_without_retrying(sandbox, make_client, sleeps) -> None:
    client = make_client(client_secret="wrong", sleep=sleeps)
    with pytest.raises(TokenExchangeError) as caught:
        pending(client, PendingEntity.DOCUMENT)
    assert caught.value.failure is Failure.CONFIGURATION and not caught.value.ambiguous
    assert "ROIT_CREDENTIALS_SECRET" in (caught.value.setting or "")
    assert _calls(sandbox, "token") == {"401": 1}  # no burst of failed logins
    assert sleeps.delays == []


def test_token_response_field_is_configuration(sandbox, make_client) -> None:
    client = make_client(token_response_field="data.accessToken", retry_max_attempts=1)
    with pytest.raises(TokenExchangeError) as caught:
        pending(client, PendingEntity.DOCUMENT)
    assert caught.value.setting == "ROIT_TOKEN_RESPONSE_FIELD"


def test_fifty_threads_on_a_cold_client_share_one_token(sandbox, make_client) -> None:
    sandbox.control.set_fault("token", latency_ms=300)  # widen the race window
    client = make_client()
    barrier = threading.Barrier(50)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            pending(client, PendingEntity.SUPPLIER)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    stats = sandbox.control.stats()
    assert stats["tokenExchanges"] == 1
    assert stats["calls"]["pending"] == {"200": 50}
