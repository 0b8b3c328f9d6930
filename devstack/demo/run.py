"""`python -m devstack demo`: one whole cycle through the local stack, reconciled.

seed the sandbox -> poll_pending (as Cloud Scheduler) -> the ERP pulls roit-pending-erp ->
results to roit-status (push -> update_status) -> master data to roit-deliveries (push ->
register_delivery; one invalid message is dead-lettered) -> reprocess as a partner webhook
(signed) and as a team (plain HTTP) -> get_attachments -> a delivery ROIT refuses is
dead-lettered, listed and replayed with `roitctl` once ROIT accepts it again -> a table whose
numbers are checked against the sandbox's inspection API and the dead-letter subscriptions.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from devstack.demo.erp import SimulatedErp
from devstack.report import Check, Progress
from devstack.stack import wiring
from devstack.stack.local import LocalStack
from devstack.tools import signed_headers

__all__ = ["DemoRun"]

DELIVERY_MAX_BATCH = 100  # ROIT_DELIVERY_MAX_BATCH's default
INVALID_DELIVERY = {"entity": "NOT_AN_ENTITY", "data": [{"code": "X1"}]}
REPLAYED_DELIVERY = {"entity": "COST_CENTER", "data": [{"code": "CC0099", "description": "Late"}]}


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` until true.

    Raises:
        TimeoutError: naming `what`.
    """
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(0.25)


class DemoRun:
    """One run of the demo against a started stack; `run()` returns the checks."""

    def __init__(self, stack: LocalStack, *, progress: Progress, reprocess_count: int = 3):
        from sandbox.control import SandboxControl

        self.stack = stack
        self.say = progress
        self.control = SandboxControl(stack.sandbox_url)
        self.erp = SimulatedErp(stack.pubsub_host, stack.options.project)
        self.http = httpx.Client(timeout=120)
        self.reprocess_count = reprocess_count
        self.checks: list[Check] = []

    def close(self) -> None:
        """Close the clients (the stack is the caller's)."""
        self.erp.close()
        self.http.close()
        self.control.close()

    def check(self, section: str, label: str, expected: int, observed: int, source: str) -> None:
        self.checks.append(Check(section, label, expected, observed, source))

    def stats(self) -> dict[str, Any]:
        return dict(self.control.stats())

    def by_status(self, status: str) -> int:
        return int(self.stats()["requestsByStatus"].get(status, 0))

    def calls(self, endpoint: str, status: int = 200) -> int:
        return int(self.stats()["calls"].get(endpoint, {}).get(str(status), 0))

    def run(self) -> list[Check]:
        """Every step in order; returns the checks (see `reconciled`)."""
        seeded = self.describe_seed()
        fetched = self.poll(seeded)
        statuses = self.integrate(fetched)
        self.deliver()
        reprocessed = self.reprocess(statuses)
        self.attachments(statuses)
        self.replay_dead_letter()
        self.final_state(statuses, reprocessed)
        return self.checks

    def describe_seed(self) -> int:
        rows = self.control.requests(status="PENDING")
        kinds = Counter(r["type"] if r["entity"] == "DOCUMENT" else r["entity"] for r in rows)
        received = self.by_status("RECEIVED")
        listing = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        self.say(f"sandbox seeded: {len(rows)} PENDING ({listing}); {received} not ready")
        return len(rows)

    def poll(self, seeded: int) -> int:
        self.say("poll_pending: POST as Cloud Scheduler would")
        response = self.http.post(
            self.stack.function_url("poll_pending"),
            json={},
            headers={"User-Agent": "Google-Cloud-Scheduler", "X-CloudScheduler": "true"},
        )
        summary = response.json()
        totals = summary.get("totals") or {}
        for target in summary.get("targets", []):
            kind = target["entity"] + (f":{target['type']}" if target.get("type") else "")
            self.say(f"  {kind}: fetched {target['fetched']}, published {target['published']}")
        section = "1. poll_pending (sandbox -> roit-pending)"
        self.check(section, "HTTP status", 200, response.status_code, "poll_pending")
        self.check(section, "entities fetched", seeded, totals.get("fetched", -1), "poll summary")
        self.check(
            section, "entities published", seeded, totals.get("published", -1), "poll summary"
        )
        self.check(section, "PROCESSING at ROIT", seeded, self.by_status("PROCESSING"), "sandbox")
        return int(totals.get("published", 0))

    def integrate(self, published: int) -> dict[str, str]:
        received = self.erp.consume_pending(expected=published, timeout_s=60)
        self.say(f"ERP pulled {len(received)} entities from {wiring.ERP_SUBSCRIPTION}")
        statuses = self.erp.report_results()
        counts = Counter(statuses.values())
        self.say(f"ERP published {len(statuses)} results to roit-status: {dict(counts)}")
        wait_for(lambda: self.calls("status") >= len(statuses), 120, "update_status")
        section = "2. results (roit-status -> update_status -> sandbox)"
        self.check(section, "entities received by the ERP", published, len(received), "pull sub")
        self.check(
            section, "results reported to ROIT", len(statuses), self.calls("status"), "sandbox"
        )
        self.check(section, "DONE", counts["DONE"], self.by_status("DONE"), "sandbox")
        self.check(section, "ERROR", counts["ERROR"], self.by_status("ERROR"), "sandbox")
        return statuses

    def deliver(self) -> None:
        batches = self.erp.master_data_batches()
        self.erp.publish_deliveries(batches)
        self.erp.publish_raw(wiring.DELIVERIES_TOPIC, json.dumps(INVALID_DELIVERY).encode())
        calls = sum(math.ceil(len(b["data"]) / DELIVERY_MAX_BATCH) for b in batches)
        items = sum(len(b["data"]) for b in batches)
        listing = ", ".join(f"{len(b['data'])} {b['entity']}" for b in batches)
        self.say(f"ERP published {len(batches)} deliveries ({listing}) and 1 invalid message")
        wait_for(lambda: self.stats()["deliveries"] >= calls, 120, "register_delivery")
        dead = self.erp.pull(
            wiring.dead_letter_subscription(wiring.DELIVERIES_TOPIC), expected=1, timeout_s=60
        )
        for message in dead:
            attrs = dict(message.attributes)
            reason = str(attrs.get("reason", ""))
            reason = reason if len(reason) <= 90 else reason[:87] + "..."
            self.say(f"  dead-lettered: error={attrs.get('error')} reason={reason}")
        stats = self.stats()
        section = "3. deliveries (roit-deliveries -> register_delivery -> sandbox)"
        self.check(section, "delivery calls accepted", calls, stats["deliveries"], "sandbox")
        self.check(section, "items delivered", items, stats["deliveredItems"], "sandbox")
        self.check(section, "invalid message dead-lettered", 1, len(dead), "dead-letter sub")

    def reprocess(self, statuses: dict[str, str]) -> list[str]:
        errors = [rid for rid, status in statuses.items() if status == "ERROR"]
        chosen = errors[: self.reprocess_count]
        by_webhook, by_team = chosen[: max(0, len(chosen) - 1)], chosen[len(chosen) - 1 :]
        webhook_url = self.stack.function_url("reprocess-webhook")
        unsigned = self.http.post(webhook_url, json={"requestId": chosen[0] if chosen else "x"})
        self.say(f"reprocess-webhook without a signature: HTTP {unsigned.status_code}")
        accepted = 0
        for request_id in by_webhook:
            body = json.dumps({"requestId": request_id})
            headers = {
                "Content-Type": "application/json",
                **signed_headers(self.stack.webhook_secret, body),
            }
            response = self.http.post(webhook_url, content=body, headers=headers)
            accepted += response.status_code == 200
            self.say(f"reprocess-webhook (signed) {request_id}: HTTP {response.status_code}")
        for request_id in by_team:
            response = self.http.post(
                self.stack.function_url("reprocess"), json={"requestId": request_id}
            )
            accepted += response.status_code == 200
            self.say(f"reprocess (team, plain HTTP) {request_id}: HTTP {response.status_code}")
        back = sum(self.control.request(r)["status"] == "PENDING" for r in chosen)
        section = "4. reprocess (webhook + team -> sandbox)"
        self.check(
            section,
            "unsigned webhook rejected (HTTP)",
            401,
            unsigned.status_code,
            "reprocess-webhook",
        )
        self.check(section, "reprocess calls answered 200", len(chosen), accepted, "functions")
        self.check(
            section, "reprocess calls at ROIT", len(chosen), self.calls("reprocess"), "sandbox"
        )
        self.check(section, "reprocessed requests PENDING again", len(chosen), back, "sandbox")
        return chosen

    def attachments(self, statuses: dict[str, str], count: int = 3) -> None:
        done = [r for r, s in statuses.items() if s == "DONE"][:count]
        listed = downloaded = 0
        for request_id in done:
            response = self.http.post(
                self.stack.function_url("get_attachments"), json={"requestId": request_id}
            )
            files = response.json().get("attachments", []) if response.status_code == 200 else []
            listed += len(files)
            downloaded += sum(self.http.get(f["url"]).status_code == 200 for f in files)
            names = ", ".join(f.get("fileName", "?") for f in files)
            self.say(f"get_attachments {request_id}: HTTP {response.status_code}: {names}")
        section = "5. attachments (get_attachments -> sandbox)"
        self.check(section, "attachment lists fetched", len(done), self.calls("attachs"), "sandbox")
        self.check(section, "files downloadable", listed, downloaded, "sandbox /files")

    def replay_dead_letter(self) -> None:
        """A delivery ROIT refuses is dead-lettered; once ROIT takes it again, `roitctl`
        lists the dead letter and replays it, and ROIT registers it as a first delivery."""
        from roitctl.deadletters.messages import list_subscriptions
        from roitctl.deadletters.policy import ReplayOptions
        from roitctl.deadletters.replay import replay_subscription
        from roitctl.deadletters.report import list_table, replay_table
        from roitctl.environment import applied, command_environment, read_env_file

        subscription = wiring.dead_letter_subscription(wiring.DELIVERIES_TOPIC)
        env_file = self.stack.env_file("register_delivery")
        project = self.stack.options.project
        env = command_environment(os.environ, read_env_file(env_file))
        roitctl = f"roitctl dead-letters {{}} {subscription} --env-file {env_file}{{}}"
        before = self.stats()["deliveries"]
        self.control.set_fault("delivery", fail_next=1, error_status=422)
        self.erp.publish_raw(wiring.DELIVERIES_TOPIC, json.dumps(REPLAYED_DELIVERY).encode())
        self.say("ROIT refuses the next delivery (422): register_delivery dead-letters it")
        with applied(env):
            wait_for(
                lambda: list_subscriptions(project, [subscription])[0].count >= 1,
                60,
                "the refused delivery's dead letter",
            )
            self.say("$ " + roitctl.format("list", ""))
            (listed,) = list_subscriptions(project, [subscription])
            list_table([listed], show=False)
            self.control.clear_faults("delivery")
            self.say("the cause is fixed (ROIT accepts deliveries again)")
            refused = "roit_rejected_422"  # ROIT's verdict: replayed only on purpose
            self.say("$ " + roitctl.format("replay", f" --error {refused}"))
            chosen = ReplayOptions(errors=frozenset({refused}))
            report = replay_subscription(
                project, subscription, chosen, pending_topic=wiring.PENDING_TOPIC
            )
            replay_table(report)
            wait_for(lambda: self.stats()["deliveries"] > before, 60, "the replayed delivery")
            (left,) = list_subscriptions(project, [subscription])
        codes = [d["data"][0].get("code") for d in self.control.deliveries(entity="COST_CENTER")]
        section = "6. dead letters (roitctl list + replay)"
        self.check(section, "dead letters listed", 1, listed.count, "roitctl list")
        self.check(
            section,
            "refused by ROIT (roit_rejected_422)",
            1,
            listed.by_error["roit_rejected_422"],
            "roitctl list",
        )
        self.check(section, "replayed", 1, len(report.replayed), "roitctl replay")
        self.check(
            section, "registered once replayed", 1, codes.count("CC0099"), "sandbox deliveries"
        )
        self.check(section, "dead letters left", 0, left.count, "roitctl list")

    def final_state(self, statuses: dict[str, str], reprocessed: list[str]) -> None:
        counts = Counter(statuses.values())
        stats = self.stats()
        states = stats["requestsByStatus"]
        section = "7. final state"
        expected = {
            "DONE": counts["DONE"],
            "ERROR": counts["ERROR"] - len(reprocessed),
            "PENDING": len(reprocessed),
            "PROCESSING": 0,
        }
        for status, value in expected.items():
            self.check(section, f"requests {status}", value, int(states.get(status, 0)), "sandbox")
        untouched = stats["requests"] - len(statuses)
        self.check(
            section, "not-ready requests untouched", untouched, int(states["RECEIVED"]), "sandbox"
        )
        for topic, want in ((wiring.PENDING_TOPIC, 0), (wiring.STATUS_TOPIC, 0)):
            dead = self.erp.pull(wiring.dead_letter_subscription(topic), expected=1, timeout_s=1)
            self.check(section, f"dead letters of {topic}", want, len(dead), "dead-letter sub")
        self.check(section, "duplicate pending deliveries", 0, self.erp.duplicates, "ERP")
