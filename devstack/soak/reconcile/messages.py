"""The soak's table, sections 4 and 5: deliveries and dead letters."""

from __future__ import annotations

import json
from collections import Counter

from devstack.report import Check
from devstack.soak.reconcile.evidence import Evidence
from devstack.soak.reconcile.rows import section

__all__ = ["dead_letter_checks", "delivery_checks"]


def delivery_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("4. deliveries: ERP -> roit-deliveries -> register_delivery -> ROIT", rows)
    plan = e.plan
    published = [key for key in plan.items if e.erp.published.get(key)]
    add(
        "deliveries.published",
        "delivery messages the ERP published",
        len(plan.items),
        len(published),
        "ERP",
    )
    add(
        "deliveries.over_batch",
        f"... with more items than one call takes (> {100})",
        0,
        plan.over_batch,
        "plan",
        info=True,
    )
    codes = Counter(c for key in plan.items for c in plan.items[key])
    codes.update(c for bad in plan.bad for c in bad.delivered)
    at_roit = e.delivered_codes
    add(
        "deliveries.items_reached_roit",
        "items that reached ROIT at least once",
        len(codes),
        sum(1 for c in codes if at_roit[c]),
        "sandbox deliveries",
    )
    again = sum(n - 1 for c, n in at_roit.items() if n > 1 and c in codes)
    add(
        "deliveries.items_received_again",
        "... items ROIT received again (a redelivered message is sent again)",
        0,
        again,
        "sandbox deliveries",
        info=True,
    )
    calls = e.stats.get("calls", {}).get("delivery", {})
    add(
        "deliveries.calls_accepted",
        "delivery calls ROIT accepted",
        0,
        int(calls.get("200", 0)),
        "sandbox stats",
        info=True,
    )
    return rows


def _letter_codes(data: bytes) -> set[str]:
    try:
        body = json.loads(data)
    except ValueError:
        return set()
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return set()
    return {str(i.get("code")) for i in items if isinstance(i, dict)}


def dead_letter_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("5. dead letters (every <topic>-dead-letter-sub)", rows)
    letters = e.erp.dead_letters
    bad = {b.message.key: b for b in (*e.plan.bad, *e.bad_statuses)}
    sent_bad = {key for key in bad if e.erp.published.get(key)}
    add(
        "dead_letters.pulled", "dead letters pulled", 0, len(letters), "dead-letter subs", info=True
    )
    complete = [x for x in letters if x.attributes.get("error") and x.attributes.get("reason")]
    add(
        "dead_letters.with_error_and_reason",
        "... carrying an error and a reason",
        len(letters),
        len(complete),
        "dead-letter subs",
    )
    explained = [
        x
        for x in letters
        if (b := bad.get(x.attributes.get("soakKey", ""))) and x.attributes.get("error") == b.error
    ]
    add(
        "dead_letters.explained",
        "... explained by a bad message the workload sent on purpose",
        len(letters),
        len(explained),
        "dead-letter subs + plan",
    )
    found = {x.attributes["soakKey"] for x in explained}
    add(
        "dead_letters.bad_messages_dead_lettered",
        "bad messages sent on purpose, each dead-lettered with its expected error",
        len(sent_bad),
        len(found & sent_bad),
        "dead-letter subs + plan",
    )
    rest = {code for b in bad.values() for code in b.rest}
    carried = {c for x in explained for c in _letter_codes(x.data)} & rest
    add(
        "dead_letters.undelivered_items_carried",
        "... the undelivered items carried by their dead letter",
        len(rest),
        len(carried),
        "dead-letter data",
    )
    twice = sum(n - 1 for n in Counter(x.attributes.get("soakKey") for x in explained).values())
    add(
        "dead_letters.more_than_once",
        "... dead-lettered more than once (redelivered before the ack)",
        0,
        twice,
        "dead-letter subs",
        info=True,
    )
    return rows
