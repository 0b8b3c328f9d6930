"""The soak's last step: collect the final evidence (sandbox, ERP, poll runs, logs, memory, a
secret scan of every log line), reconcile it and print the table."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from devstack.report import Check, reconciled, render
from devstack.soak_checks import reconcile
from devstack.soak_effects import effect_checks
from devstack.soak_evidence import ErpView, Evidence
from devstack.soak_observe import LogEvents, read_events, scan_secrets
from devstack.stack import CREDENTIALS_SECRET, SANDBOX_CLIENT_ID

if TYPE_CHECKING:
    from devstack.soak_run import Soak

__all__ = ["collect", "difference", "finish"]

WARM_S = 10.0  # a restarted function's memory baseline: its first sample this long after


def collect(soak: Soak, **final: Any) -> Evidence:
    """The evidence as it stands: the sandbox's state, the ERP's ledger, the callers' records
    (`final`: what only the last step gathers — logs, memory, the secret scan)."""
    ledger = soak.erp.snapshot()
    control = soak.control
    return Evidence(
        requests=[dict(r) for r in control.requests()],
        summary=dict(control.requests_summary()),
        deliveries=control.deliveries(),
        stats=dict(control.stats()),
        erp=ErpView(
            ledger.receipts,
            ledger.deliveries,
            ledger.statuses,
            ledger.status_keys,
            ledger.published,
            ledger.dead_letters,
            ledger.errors,
        ),
        plan=soak.plan,
        bad_statuses=soak.bad_statuses,
        seeded=soak.seeded,
        received=soak.not_ready,
        runs=list(soak.scheduler.runs),
        calls=list(soak.caller.calls),
        faults=list(soak.faults.records),
        lost_pages_armed=sum(f.name.startswith("pending page") for f in soak.faults.records),
        logs=final.pop("logs", None) or LogEvents(),
        rss_limit_mib=soak.options.rss_limit_mib,
        fault_stats=soak.fault_stats,
        unsigned_webhook=soak.unsigned,
        **final,
    )


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Sandbox stats `after` minus `before`: calls and latency spikes of the fault phase."""
    calls = {
        name: {k: n - before["calls"].get(name, {}).get(k, 0) for k, n in codes.items()}
        for name, codes in after["calls"].items()
    }
    spikes = {k: n - before["latencySpikes"].get(k, 0) for k, n in after["latencySpikes"].items()}
    return {"calls": calls, "latencySpikes": spikes}


def _rotation_ok(soak: Soak) -> bool:
    """ROIT and Secret Manager both hold the last client secret the soak rotated to."""
    from devstack.secret_client import local_client

    latest = soak.faults.client_secrets[-1]
    if soak.control.credentials().client_secret != latest:
        return False
    client = local_client(soak.stack.secret_manager_endpoint)
    name = f"projects/{soak.stack.options.project}/secrets/{CREDENTIALS_SECRET}/versions/latest"
    payload = json.loads(client.access_secret_version(name=name).payload.data)
    return bool(payload.get("client_secret") == latest and len(soak.faults.client_secrets) > 1)


def _secrets(soak: Soak) -> dict[str, str]:
    values = {"webhook secret": soak.stack.webhook_secret}
    for n, secret in enumerate(soak.faults.client_secrets):
        name = "client secret" + (" (rotated)" if n else " (initial)")
        values[name] = secret
        payload = json.dumps({"client_id": SANDBOX_CLIENT_ID, "client_secret": secret})
        values[name + ", as stored in Secret Manager"] = payload
    return values


def finish(soak: Soak, settled: bool, lines: list[str]) -> tuple[bool, list[Check]]:
    """Reconcile and print; True when every row holds (and the run settled)."""
    soak.scheduler.pause()
    soak.scheduler.wait_idle(420)
    time.sleep(2.0)  # the dead-letter collector's last sweep
    soak.sampler.sample()
    stack = soak.stack
    labels = [s.label for s in stack.functions]
    # a restarted function is measured from its first sample after the restart
    since = {  # a restarted function is measured once it has served for a while again
        label: max(soak.baseline_at, soak.faults.restarted.get(label, -WARM_S) + WARM_S)
        for label in labels
    }
    scan = scan_secrets(sorted(stack.log_dir.glob("*.log")), _secrets(soak), lines)
    evidence = soak.evidence(
        logs=read_events(stack.log_dir, labels),
        rss=list(soak.sampler.samples),
        rss_since=since,
        scan=scan,
        alive={label: stack.processes[label].running() for label in labels},
        rotation_ok=_rotation_ok(soak),
    )
    checks = [*reconcile(evidence), *effect_checks(stack, soak.control)]  # the probe: last
    ok = settled and reconciled(checks)
    print()
    print(render(checks))
    print()
    errors = ", ".join(f"{k} {n}" for k, n in sorted(evidence.erp.errors.items()))
    print(f"ERP's Pub/Sub errors along the way (retried): {errors or 'none'}")
    failed = [c for c in checks if not c.ok]
    if ok:
        print("reconciled")
    else:
        why = "" if settled else "the run did not settle; "
        print(f"NOT reconciled: {why}{len(failed)} MISMATCH row(s) above")
    return ok, checks
