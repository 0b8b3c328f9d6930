"""The soak's last step: gather the final evidence (sandbox, ERP, poll runs, logs, memory, a
secret scan of every log line), reconcile it and print the table."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from devstack.report import Check, reconciled, render
from devstack.soak.effects import effect_checks
from devstack.soak.observe import read_events, scan_secrets
from devstack.soak.reconcile.checks import reconcile
from devstack.stack.layout import CREDENTIALS_SECRET, SANDBOX_CLIENT_ID

if TYPE_CHECKING:
    from devstack.soak.run import Soak

__all__ = ["finish"]

WARM_S = 10.0  # a restarted function's memory baseline: its first sample this long after


def _rotation_ok(soak: Soak) -> bool:
    """ROIT and Secret Manager both hold the last client secret the soak rotated to."""
    from devstack.processes.secret_client import local_client

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
