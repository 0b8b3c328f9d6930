"""smoke's checks with no process, each shown failing: a check that cannot fail is a defect."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from golive_helpers import deployed

from roitctl.doctor.checks import Status
from roitctl.golive.smoke import NotApplicable, alert_checks, dead_letter_checks, poll_check

pytestmark = pytest.mark.unit


def test_the_poll_check_fails_on_anything_but_an_ok_run() -> None:
    names = deployed(function_uris={"poll-pending": "https://poll"})
    ok = poll_check(names, lambda url, body: (200, {"outcome": "ok", "totals": {"fetched": 1}}))
    assert ok.status is Status.OK and "fetched 1" in ok.detail
    asked: list[object] = []
    poll_check(names, lambda url, body: asked.append(body) or (200, {"outcome": "ok"}))
    assert asked == [{"maxPages": 1}]
    for status, answer in [(200, {"outcome": "roit_failed"}), (503, {"error": {"code": "x"}}),
                           (500, None)]:  # fmt: skip
        assert poll_check(names, lambda u, b, s=status, a=answer: (s, a)).status is Status.FAILED

    def unreachable(url: str, body: object) -> tuple[int, object]:
        raise ConnectionError

    assert poll_check(names, unreachable).status is Status.FAILED
    assert poll_check(deployed(function_uris={}), unreachable).status is Status.FAILED


def test_the_dead_letter_check_fails_on_a_backlog_or_an_unreadable_subscription() -> None:
    summaries = [
        SimpleNamespace(subscription="a", problem=None, count=0),
        SimpleNamespace(subscription="b", problem=None, count=2),
        SimpleNamespace(subscription="c", problem="permission denied", count=0),
    ]
    assert [c.status for c in dead_letter_checks(summaries)] == [
        Status.OK, Status.FAILED, Status.FAILED,
    ]  # fmt: skip


class FakeMonitoring:
    def __init__(self, policies: list[dict[str, object]], channels: list[dict[str, object]]):
        self.policies, self.channels = policies, channels

    def alert_policies(self, project: str) -> list[dict[str, object]]:
        return self.policies

    def notification_channels(self, project: str) -> list[dict[str, object]]:
        return self.channels


CHANNEL = "projects/acme-roit-dev/notificationChannels/1"
POLICY = {"displayName": "ROIT connector: function failures", "enabled": True,
          "channels": [CHANNEL]}  # fmt: skip


@pytest.mark.parametrize(
    ("policies", "channels", "expected"),
    [
        ([POLICY], [{"name": CHANNEL, "enabled": True}], [Status.OK, Status.OK]),
        ([], [{"name": CHANNEL, "enabled": True}], [Status.FAILED, Status.FAILED]),
        ([{**POLICY, "enabled": False}], [{"name": CHANNEL, "enabled": True}],
         [Status.FAILED, Status.OK]),
        ([{**POLICY, "channels": []}], [], [Status.FAILED, Status.FAILED]),
        ([POLICY], [{"name": CHANNEL, "enabled": False}], [Status.OK, Status.FAILED]),
        ([POLICY], [], [Status.OK, Status.FAILED]),
    ],
)  # fmt: skip
def test_the_alerting_checks_fail_when_alerts_would_reach_nobody(
    policies: list[dict[str, object]], channels: list[dict[str, object]], expected: list[Status]
) -> None:
    checks = alert_checks(deployed(), FakeMonitoring(policies, channels))
    assert [c.status for c in checks] == expected, checks


def test_the_outputs_channels_must_all_exist() -> None:
    names = deployed(notification_channels=[CHANNEL, "projects/x/notificationChannels/2"])
    monitoring = FakeMonitoring([POLICY], [{"name": CHANNEL, "enabled": True}])
    assert alert_checks(names, monitoring)[1].status is Status.FAILED


def test_locally_the_alerting_checks_say_not_applicable_never_ok() -> None:
    checks = alert_checks(deployed(), NotApplicable())
    assert [c.status for c in checks] == [Status.SKIPPED, Status.SKIPPED]
    assert all(re.search("not applicable locally", c.detail) for c in checks)


def test_cloud_monitorings_answers_are_read_as_the_checks_expect() -> None:
    from google.cloud import monitoring_v3

    from roitctl.golive.smoke import channel_row, policy_row

    policy = monitoring_v3.AlertPolicy(
        name="projects/p/alertPolicies/1",
        display_name="ROIT connector: function failures",
        enabled=False,
        notification_channels=[CHANNEL],
    )
    assert policy_row(policy) == {
        "name": "projects/p/alertPolicies/1",
        "displayName": "ROIT connector: function failures",
        "enabled": False,
        "channels": [CHANNEL],
    }
    assert policy_row(monitoring_v3.AlertPolicy(display_name="x"))["enabled"] is True  # unset
    channel = monitoring_v3.NotificationChannel(name=CHANNEL, enabled=False)
    assert channel_row(channel) == {"name": CHANNEL, "enabled": False}
