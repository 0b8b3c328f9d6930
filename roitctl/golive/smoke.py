"""``roitctl smoke``: after an apply, does the deployment work? One line per check.

* ``doctor <function>``: each deployed function's own settings (read from the Functions API,
  or from ``--env-dir`` files locally) checked by :func:`roitctl.doctor.run_doctor`: settings,
  secrets (those mounted as files read by the secret's name, :mod:`roitctl.mounted`), token
  exchange, ``Authorization`` scheme;
* ``poll run``: poll-pending called once with ``{"maxPages": 1}``, its summary's outcome;
* ``pubsub wiring`` and ``dead letters <sub>``: the names exist and are wired; no backlog;
* ``alert policies`` / ``notification channels``: through a :class:`Monitoring` backend —
  Cloud Monitoring, or locally :class:`NotApplicable`, which says so (skipped, never "ok").

Every check can fail: each has a test that makes it fail (tests/roitctl/test_golive_smoke.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from roitctl.doctor.checks import Check, Status
from roitctl.environment import Deployment
from roitctl.golive.deployed import Deployed

__all__ = [
    "CloudMonitoring",
    "EnvSource",
    "Monitoring",
    "NotApplicable",
    "SmokeParts",
    "alert_checks",
    "dead_letter_checks",
    "doctor_check",
    "poll_check",
    "run_smoke",
]

POLL_FUNCTION = "poll-pending"
ALERT_PREFIX = "ROIT connector"
"""terraform/monitoring.tf's alert policies' display names start with it."""


class Monitoring(Protocol):
    """Where alert policies and notification channels are read."""

    def alert_policies(self, project: str) -> list[dict[str, Any]]:
        """``{"name", "displayName", "enabled", "channels": [...]}`` per policy."""

    def notification_channels(self, project: str) -> list[dict[str, Any]]:
        """``{"name", "enabled"}`` per channel."""


class NotApplicable:
    """The local stack has no Cloud Monitoring: the checks are reported as skipped."""

    reason = "not applicable locally: the local stack has no Cloud Monitoring"


def _enabled(value: Any) -> bool:
    """proto-plus gives a ``BoolValue`` as ``bool``, or ``None`` when unset (enabled)."""
    return True if value is None else bool(value)


def policy_row(policy: Any) -> dict[str, Any]:
    """An ``AlertPolicy`` as :class:`Monitoring` answers it."""
    return {
        "name": policy.name,
        "displayName": policy.display_name,
        "enabled": _enabled(policy.enabled),
        "channels": list(policy.notification_channels),
    }


def channel_row(channel: Any) -> dict[str, Any]:
    """A ``NotificationChannel`` as :class:`Monitoring` answers it."""
    return {"name": channel.name, "enabled": _enabled(channel.enabled)}


class CloudMonitoring:
    """Cloud Monitoring (google-cloud-monitoring, Application Default Credentials)."""

    def alert_policies(self, project: str) -> list[dict[str, Any]]:
        from google.cloud import monitoring_v3

        client = monitoring_v3.AlertPolicyServiceClient()
        return [policy_row(p) for p in client.list_alert_policies(name=f"projects/{project}")]

    def notification_channels(self, project: str) -> list[dict[str, Any]]:
        from google.cloud import monitoring_v3

        client = monitoring_v3.NotificationChannelServiceClient()
        found = client.list_notification_channels(name=f"projects/{project}")
        return [channel_row(c) for c in found]


EnvSource = Callable[[str], Deployment]
"""A deployment's name -> its environment (the command's), entry point and mounted secrets."""

Poster = Callable[[str, dict[str, Any]], tuple[int, Any]]
"""POST a JSON body to a URL -> (HTTP status, the JSON answer or ``None``)."""


def doctor_check(name: str, deployment: Deployment) -> Check:
    """One line: doctor against the function's own settings (Pub/Sub is checked once, apart);
    a secret the function reads from a mounted file is read by name, and the line says so."""
    from roitctl.doctor.run import DoctorOptions, Kind, run_doctor

    entry_point = deployment.entry_point or ""
    kind = Kind(entry_point) if entry_point in {k.value for k in Kind} else None
    options = DoctorOptions(kind=kind, pubsub=False, mounted=tuple(deployment.mounted))
    checks = run_doctor(deployment.environment, options)
    failed = [c for c in checks if c.status is Status.FAILED]
    if failed:
        first = failed[0]
        return Check(f"doctor {name}", Status.FAILED, f"{first.name}: {first.detail}", first.fix)
    ran = [c.name for c in checks if c.status is Status.OK]
    mounts = "".join(f"; {m.variable}: {m.describe()}" for m in deployment.mounted)
    return Check(f"doctor {name}", Status.OK, "passed: " + ", ".join(ran) + mounts)


def poll_check(deployed: Deployed, post: Poster) -> Check:
    """One poll run limited to one page; ok when its outcome is ok."""
    url = deployed.function_uris.get(POLL_FUNCTION)
    if not url:
        return Check("poll run", Status.FAILED, f"no {POLL_FUNCTION} URL in the outputs")
    try:
        status, answer = post(url, {"maxPages": 1})
    except Exception as exc:  # noqa: BLE001 - unreachable, no identity token: say which
        return Check("poll run", Status.FAILED, f"{url} could not be called ({type(exc).__name__})")
    outcome = answer.get("outcome") if isinstance(answer, dict) else None
    if status != 200 or outcome != "ok":
        code = answer.get("error", {}).get("code") if isinstance(answer, dict) else None
        what = outcome or code or "no summary"
        return Check("poll run", Status.FAILED, f"HTTP {status}, {what}", ["roitctl doctor"])
    totals = answer.get("totals") or {}
    detail = ", ".join(f"{k} {v}" for k, v in totals.items() if v) or "nothing pending"
    return Check("poll run", Status.OK, f"1 page at most: {detail}")


def pubsub_check(deployed: Deployed) -> Check:
    """Every topic and subscription exists and is wired (doctor's Pub/Sub checks, as one)."""
    from roitctl.doctor.pubsub import pubsub_checks
    from roitctl.layout import Layout

    checks = [c for c in pubsub_checks(Layout(deployed.project)) if not c.name.startswith("dead")]
    failed = [c for c in checks if c.status is Status.FAILED]
    if failed:
        names = ", ".join(c.name for c in failed)
        return Check("pubsub wiring", Status.FAILED, f"failed: {names}", failed[0].fix)
    return Check(
        "pubsub wiring",
        Status.OK,
        f"{len(checks)} checks passed: topics, subscriptions, dead-letter policies",
    )


def dead_letter_checks(summaries: list[Any]) -> list[Check]:
    """One line per dead-letter subscription: ok when it is readable and empty."""
    checks = []
    for s in summaries:
        name = f"dead letters {s.subscription}"
        if s.problem:
            checks.append(Check(name, Status.FAILED, s.problem))
        elif s.count:
            fix = [f"roitctl dead-letters list {s.subscription}"]
            checks.append(Check(name, Status.FAILED, f"{s.count} waiting", fix))
        else:
            checks.append(Check(name, Status.OK, "none waiting"))
    return checks


def alert_checks(deployed: Deployed, monitoring: Monitoring | NotApplicable) -> list[Check]:
    """The connector's alert policies exist, are enabled and notify; the channels exist."""
    if isinstance(monitoring, NotApplicable):
        return [
            Check("alert policies", Status.SKIPPED, monitoring.reason),
            Check("notification channels", Status.SKIPPED, monitoring.reason),
        ]
    try:
        policies = monitoring.alert_policies(deployed.project)
        channels = {c["name"]: c for c in monitoring.notification_channels(deployed.project)}
    except Exception as exc:  # noqa: BLE001
        from roitctl import gcp

        problem = f"Cloud Monitoring: {gcp.api_problem(exc)}"
        fix = ["grant roles/monitoring.viewer"]
        return [
            Check(n, Status.FAILED, problem, fix)
            for n in ("alert policies", "notification channels")
        ]
    ours = [p for p in policies if str(p["displayName"]).startswith(ALERT_PREFIX)]
    bad = [p["displayName"] for p in ours if not p["enabled"] or not p["channels"]]
    if not ours:
        policy = Check("alert policies", Status.FAILED, "none found", ["terraform apply"])
    elif bad:
        policy = Check("alert policies", Status.FAILED, f"disabled or silent: {'; '.join(bad)}")
    else:
        policy = Check("alert policies", Status.OK, f"{len(ours)} enabled, each notifies")
    wanted = deployed.notification_channels or sorted({c for p in ours for c in p["channels"]})
    missing = [c for c in wanted if c not in channels or not channels[c]["enabled"]]
    if not wanted:
        channel = Check("notification channels", Status.FAILED, "none configured")
    elif missing:
        channel = Check("notification channels", Status.FAILED, f"missing or disabled: {missing}")
    else:
        channel = Check("notification channels", Status.OK, f"{len(wanted)} present, enabled")
    return [policy, channel]


@dataclass
class SmokeParts:
    """Where smoke reads and calls: pluggable, so the same checks run in the cloud and on the
    local stack."""

    env_of: EnvSource
    post: Poster
    monitoring: Monitoring | NotApplicable
    dead_letters: Callable[[str, list[str]], list[Any]]


def run_smoke(deployed: Deployed, parts: SmokeParts) -> list[Check]:
    """Every check, in order."""
    checks = []
    for name in sorted(deployed.function_uris):
        try:
            deployment = parts.env_of(name)
        except Exception as exc:  # noqa: BLE001 - API or file: say which
            checks.append(Check(f"doctor {name}", Status.FAILED, f"settings unreadable: {exc}"))
            continue
        checks.append(doctor_check(name, deployment))
    if not deployed.function_uris:
        checks.append(Check("functions", Status.FAILED, "no function in the outputs"))
    checks.append(poll_check(deployed, parts.post))
    checks.append(pubsub_check(deployed))
    checks += dead_letter_checks(
        parts.dead_letters(deployed.project, deployed.dead_letter_subscriptions)
    )
    checks += alert_checks(deployed, parts.monitoring)
    return checks
