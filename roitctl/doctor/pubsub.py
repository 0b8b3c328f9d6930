"""``doctor``'s Pub/Sub checks: topics, subscriptions and dead-letter topics exist, the caller
may publish, and each dead-letter subscription's backlog (count, oldest).

Nothing is published or acknowledged. Publish permission is asked with
``test_iam_permissions`` (the emulator has no IAM: reported as skipped). Backlogs come from
Cloud Monitoring in a real project (``subscription/num_undelivered_messages`` and
``oldest_unacked_message_age``: touches no message, lags a few minutes); the emulator has no
Monitoring, so there they are read by pulling without acknowledging and giving the messages
straight back.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from roitctl import gcp
from roitctl.deadletters.lease import Lease
from roitctl.deadletters.messages import age_s, peek, summarize
from roitctl.doctor.checks import Check, Status
from roitctl.layout import Layout, short_name

__all__ = ["Backlog", "backlog_from_series", "pubsub_checks"]

PUBLISH = "pubsub.topics.publish"
_TIMEOUT_S = 15.0
_METRICS = {
    "pubsub.googleapis.com/subscription/num_undelivered_messages": "count",
    "pubsub.googleapis.com/subscription/oldest_unacked_message_age": "oldest_age_s",
}


@dataclass
class Backlog:
    """A subscription's backlog: messages not acknowledged, and the oldest one's age."""

    count: int | None = None
    oldest_age_s: float | None = None


def backlog_from_series(series: Iterable[Any]) -> dict[str, Backlog]:
    """Subscription id -> its latest backlog figures, from Monitoring ``TimeSeries`` of the
    two metrics in :data:`_METRICS` (points come newest first)."""
    found: dict[str, Backlog] = {}
    for item in series:
        field = _METRICS.get(str(item.metric.type))
        if field is None or not item.points:
            continue
        name = str(item.resource.labels.get("subscription_id", ""))
        backlog = found.setdefault(name, Backlog())
        setattr(backlog, field, int(item.points[0].value.int64_value))
    return found


def _monitoring_backlog(project: str) -> dict[str, Backlog]:
    from google.cloud import monitoring_v3

    client = monitoring_v3.MetricServiceClient()
    now = int(time.time())
    interval = monitoring_v3.TimeInterval(
        {"end_time": {"seconds": now}, "start_time": {"seconds": now - 900}}
    )
    series: list[Any] = []
    for metric in _METRICS:
        series += client.list_time_series(
            request={
                "name": f"projects/{project}",
                "filter": f'metric.type = "{metric}" AND resource.type = "pubsub_subscription"',
                "interval": interval,
                "view": monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
            },
            timeout=_TIMEOUT_S,
        )
    return backlog_from_series(series)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def pubsub_checks(layout: Layout, extra_topics: Iterable[str] = ()) -> list[Check]:
    """Existence, publish permission and dead-letter backlogs of the deployment's names."""
    try:
        publisher, subscriber = gcp.publisher_client(), gcp.subscriber_client()
    except Exception as exc:  # noqa: BLE001 - no credentials, mostly
        return [Check("pubsub", Status.FAILED, gcp.api_problem(exc), [gcp.ADC_HINT])]
    try:
        topics = list(dict.fromkeys([*layout.topics(), *map(short_name, extra_topics)]))
        checks = _topic_checks(publisher, layout, topics)
        checks += _subscription_checks(subscriber, layout)
        checks += _backlog_checks(subscriber, layout)
        return checks
    finally:
        subscriber.transport.close()
        publisher.transport.close()


def _topic_checks(publisher: Any, layout: Layout, topics: list[str]) -> list[Check]:
    checks: list[Check] = []
    missing: list[str] = []
    for topic in topics:
        try:
            publisher.get_topic(topic=layout.topic(topic), timeout=_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - reported per topic
            missing.append(f"{topic}: {gcp.api_problem(exc)}")
    present = [t for t in topics if not any(m.startswith(f"{t}:") for m in missing)]
    if missing:
        checks.append(
            Check(
                "topics",
                Status.FAILED,
                "; ".join(missing),
                [
                    "create them with Terraform (terraform apply), or check "
                    "ROIT_PENDING_TOPIC / ROIT_DEAD_LETTER_TOPIC"
                ],
            )
        )
    else:
        checks.append(Check("topics", Status.OK, f"all {len(topics)} exist: {', '.join(topics)}"))
    refused: list[str] = []
    for topic in present:
        try:
            answer = publisher.test_iam_permissions(
                request={"resource": layout.topic(topic), "permissions": [PUBLISH]},
                timeout=_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001
            from google.api_core.exceptions import MethodNotImplemented

            if isinstance(exc, MethodNotImplemented):
                checks.append(
                    Check("publish permission", Status.SKIPPED, "the emulator has no IAM")
                )
                return checks
            refused.append(f"{topic}: {gcp.api_problem(exc)}")
            continue
        if PUBLISH not in answer.permissions:
            refused.append(topic)
    if refused:
        checks.append(
            Check(
                "publish permission",
                Status.FAILED,
                f"your credentials may not publish to {', '.join(refused)}",
                ["grant roles/pubsub.publisher on those topics"],
            )
        )
    elif present:
        checks.append(
            Check(
                "publish permission",
                Status.OK,
                f"your credentials may publish to all {len(present)} topics",
            )
        )
    return checks


def _subscription_checks(subscriber: Any, layout: Layout) -> list[Check]:
    problems: list[str] = []
    wiring = layout.wiring()
    for name, topic, dead_letters in wiring:
        try:
            found = subscriber.get_subscription(
                subscription=layout.subscription(name), timeout=_TIMEOUT_S
            )
        except Exception as exc:  # noqa: BLE001
            problems.append(f"{name}: {gcp.api_problem(exc)}")
            continue
        if short_name(str(found.topic)) != topic:
            problems.append(f"{name}: on {short_name(str(found.topic))}, not {topic}")
        policy = short_name(str(found.dead_letter_policy.dead_letter_topic))
        if dead_letters and policy != dead_letters:
            problems.append(f"{name}: no dead-letter policy to {dead_letters}")
    if problems:
        return [
            Check(
                "subscriptions",
                Status.FAILED,
                "; ".join(problems),
                ["create them with Terraform (terraform apply)"],
            )
        ]
    return [
        Check(
            "subscriptions",
            Status.OK,
            f"all {len(wiring)} exist, on their topics, with their dead-letter policies",
        )
    ]


def _backlog_checks(subscriber: Any, layout: Layout) -> list[Check]:
    names = layout.dead_letter_subscriptions()
    if gcp.on_emulator():
        method, backlogs = "pulled without acknowledging", {}
        for name in names:
            try:
                with Lease(subscriber, layout.subscription(name), return_immediately=True) as lease:
                    messages, complete = peek(lease, limit=1000)
            except Exception:  # noqa: BLE001, S112 - reported below as unreadable
                continue
            summary = summarize(name, messages, complete=complete)
            oldest = age_s(summary.oldest) if summary.oldest else None
            backlogs[name] = Backlog(summary.count, oldest)
    else:
        method = "Cloud Monitoring, a few minutes behind"
        try:
            backlogs = _monitoring_backlog(layout.project)
        except Exception as exc:  # noqa: BLE001
            return [
                Check(
                    "dead-letter backlog",
                    Status.SKIPPED,
                    f"Cloud Monitoring: {gcp.api_problem(exc)}",
                    ["grant roles/monitoring.viewer, or use `roitctl dead-letters list`"],
                )
            ]
    checks = []
    for name in names:
        backlog = backlogs.get(name)
        if backlog is None or backlog.count is None:
            checks.append(Check(f"dead letters {name}", Status.SKIPPED, f"no figure ({method})"))
            continue
        detail = f"{backlog.count} waiting"
        if backlog.count and backlog.oldest_age_s is not None:
            detail += f", oldest {_age(backlog.oldest_age_s)} old"
        fix = [f"roitctl dead-letters list {name}"] if backlog.count else []
        checks.append(Check(f"dead letters {name}", Status.OK, f"{detail} ({method})", fix))
    return checks
