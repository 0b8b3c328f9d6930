"""The soak's proof that effects happen once across instances (the idempotency store).

After the reconciliation's evidence is taken, :func:`effect_checks` starts a second instance
("twin") of update_status, register_delivery and reprocess-webhook on the same store and does
on purpose what Pub/Sub and partners do by accident: the same signed webhook to both instances,
the same push message (same message id) to both, and an older status after a newer one. Each
row counts an effect that happened more than it should, and must be 0:

* webhook replays accepted across instances (ROIT reprocessed the request again);
* status effects applied more than once (ROIT's history grew by more than one ``status``);
* delivery items sent again after a redelivery (ROIT received an item twice);
* an older status applied after a newer one (ROIT did not end on the newer one).

The fifth row, two poll runs overlapping, is :mod:`devstack.soak.reconcile.calls`' (section 7,
``polls.overlapping_pairs``).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from devstack.processes.factories import function_process
from devstack.processes.firestore_emulator import uses_store
from devstack.processes.managed import ManagedProcess
from devstack.report import Check
from devstack.soak.reconcile.rows import section
from devstack.stack.local import LocalStack
from devstack.tools import signed_headers

__all__ = ["effect_checks"]

SECTION = "10. effects once across instances (the idempotency store)"
TWINS = ("update_status", "register_delivery", "reprocess-webhook")


def effect_checks(stack: LocalStack, control: Any) -> list[Check]:
    """Duplicate each effect on purpose across two instances; the rows that must be 0."""
    rows: list[Check] = []
    add = section(SECTION, rows)
    if stack.options.idempotency_store != "firestore":
        add("effects.not_checked", "no shared store: not checked", 0, 0, "stack", info=True)
        return rows
    done = sorted(control.requests_summary()["requestIds"]["DONE"])
    if len(done) < 2:
        add("effects.probe_requests", "requests DONE to probe with", 2, len(done), "sandbox")
        return rows
    twins = _start_twins(stack)
    try:
        pairs = {label: (stack.function_url(label), twins[label].url + "/") for label in TWINS}
        add(
            "effects.webhook_replays_accepted",
            "webhook replays accepted across instances",
            0,
            _webhook(stack, control, pairs, done[0]),
            "sandbox history",
        )
        applied, older = _statuses(control, pairs["update_status"], done[1])
        add(
            "effects.status_applied_twice",
            "status effects applied more than once (a message to two instances)",
            0,
            applied,
            "sandbox history",
        )
        add(
            "effects.older_status_applied",
            "an older status applied after a newer one",
            0,
            older,
            "sandbox request",
        )
        add(
            "effects.delivery_items_resent",
            "delivery items sent again after a redelivery",
            0,
            _delivery(control, pairs["register_delivery"]),
            "sandbox deliveries",
        )
    finally:
        for twin in twins.values():
            twin.stop()
    return rows


def _start_twins(stack: LocalStack) -> dict[str, ManagedProcess]:
    specs = {spec.label: spec for spec in stack.functions if spec.label in TWINS}
    twins: dict[str, ManagedProcess] = {}
    try:
        for label, spec in specs.items():
            assert uses_store(spec.label, spec.target)
            twin = function_process(
                spec.target, env=stack.function_env(spec), label=f"{label}-twin"
            )
            twin.log_path = stack.log_dir / f"{label}-twin.log"
            twins[label] = twin.start()
        for twin in twins.values():
            twin.wait_ready(60)
    except BaseException:
        for twin in twins.values():
            twin.stop()
        raise
    return twins


def _moves(control: Any, rid: str, source: str) -> int:
    return sum(h["source"] == source for h in control.request(rid)["history"])


def _post(url: str, **kwargs: Any) -> int:
    return httpx.post(url, timeout=60, **kwargs).status_code


def _webhook(stack: LocalStack, control: Any, pairs: dict[str, tuple[str, str]], rid: str) -> int:
    body = json.dumps({"requestId": rid})
    headers = {"content-type": "application/json", **signed_headers(stack.webhook_secret, body)}
    before = _moves(control, rid, "reprocess")
    for url in (*pairs["reprocess-webhook"], pairs["reprocess-webhook"][0]):
        _post(url, content=body, headers=headers)
    return max(0, _moves(control, rid, "reprocess") - before - 1)


def _envelope(data: dict[str, Any], message_id: str, published: float) -> dict[str, Any]:
    stamp = datetime.fromtimestamp(published, UTC).isoformat().replace("+00:00", "Z")
    encoded = base64.b64encode(json.dumps(data).encode()).decode()
    return {"message": {"data": encoded, "messageId": message_id, "publishTime": stamp}}


def _until_acked(post: Callable[[], int]) -> None:
    """Deliver until acknowledged, as Pub/Sub does (a 503: being applied elsewhere)."""
    for _ in range(20):
        if post() == 200:
            return
        time.sleep(0.5)


def _statuses(control: Any, urls: tuple[str, str], rid: str) -> tuple[int, int]:
    reference = control.request(rid)["reference"]

    def status(value: str) -> dict[str, Any]:
        return {"requestId": rid, "reference": reference, "status": value, "message": "probe"}

    now = time.time()
    newer = _envelope(status("WARNING"), uuid.uuid4().hex, now)
    older = _envelope(status("DONE"), uuid.uuid4().hex, now - 3.5)
    before = _moves(control, rid, "status")
    for url in (*urls, urls[0]):  # applied once, then redelivered to the other and back
        _until_acked(lambda url=url: _post(url, json=newer))  # type: ignore[misc]
    applied = _moves(control, rid, "status") - before
    _until_acked(lambda: _post(urls[1], json=older))
    final = control.request(rid)["status"]
    return max(0, applied - 1), int(final != "WARNING")


def _delivery(control: Any, urls: tuple[str, str]) -> int:
    tag = uuid.uuid4().hex[:8]
    items = [{"code": f"probe-{tag}-{i}", "name": f"Probe {i}"} for i in range(3)]
    message = _envelope({"entity": "COST_CENTER", "data": items}, uuid.uuid4().hex, time.time())
    for url in (*urls, urls[0]):
        _until_acked(lambda url=url: _post(url, json=message))  # type: ignore[misc]
    codes = [i.get("code") for d in control.deliveries() for i in d.get("data", [])]
    return sum(codes.count(item["code"]) for item in items) - len(items)
