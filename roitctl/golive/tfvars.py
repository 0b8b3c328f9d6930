"""The environment's tfvars from setup's answers, and the token settings ``doctor`` found.

Only identifiers and addresses are written: :func:`write_tfvars` refuses a text holding any
secret value it is given (raw or base64) or a ``whsec_`` secret, and the example values
:mod:`~roitctl.golive.rules` lists. Terraform's own validations of the values asked for are
checked first, so a mistake is one line here rather than a failed plan.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roitctl.golive import rules
from roitctl.golive.hcl import set_values

__all__ = [
    "ROIT_BASE_URLS",
    "SetupValues",
    "TfvarsRefused",
    "token_values",
    "write_tfvars",
]

ROIT_BASE_URLS = {"hom": "https://hom.roit.ai", "prod": "https://app.roit.ai"}
"""ROIT's environments (``--roit-env``): homologation and production."""

_TOKEN_VARIABLES = {
    "ROIT_TOKEN_URL": "url",
    "ROIT_TOKEN_REQUEST_FORMAT": "request_format",
    "ROIT_TOKEN_CLIENT_AUTH": "client_auth",
    "ROIT_TOKEN_CLIENT_ID_FIELD": "client_id_field",
    "ROIT_TOKEN_CLIENT_SECRET_FIELD": "client_secret_field",
    "ROIT_TOKEN_EXTRA_FIELDS": "extra_fields",
    "ROIT_TOKEN_RESPONSE_FIELD": "response_field",
    "ROIT_TOKEN_EXPIRES_IN_FIELD": "expires_in_field",
}
"""terraform/functions.tf's ``ROIT_TOKEN_*`` variables -> the ``roit_token`` fields."""


class TfvarsRefused(ValueError):
    """A value Terraform would refuse, an example value, or a secret: never written."""


@dataclass(frozen=True)
class SetupValues:
    """What ``roitctl setup`` asks for."""

    project_id: str
    region: str
    environment: str
    roit_base_url: str
    integration_id: str
    team_group: str
    erp_members: tuple[str, ...]
    erp_publishers: tuple[str, ...] = ()  # when they differ (the file's); default: erp_members
    alert_emails: tuple[str, ...] = ()
    notification_channels: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Each value Terraform's validations would refuse, named with what to give."""
        found = []
        checks: list[tuple[str, Iterable[str], str, str]] = [
            ("--project", [self.project_id], rules.PROJECT_ID, "6-30 lowercase letters/digits/-"),
            ("--region", [self.region], rules.REGION, "a region such as southamerica-east1"),
            ("--team-group", [self.team_group], rules.EMAIL, "a group e-mail address"),
            (
                "--erp-principal",
                (*self.erp_members, *self.erp_publishers),
                rules.ERP_MEMBER,
                "serviceAccount:EMAIL, group:EMAIL or principal(Set)://...",
            ),
            ("--alert-email", self.alert_emails, rules.EMAIL, "an e-mail address"),
            (
                "--notification-channel",
                self.notification_channels,
                rules.NOTIFICATION_CHANNEL,
                "projects/P/notificationChannels/N",
            ),
        ]
        for option, values, pattern, want in checks:
            found += [f"{option} {v!r} is not {want}" for v in values if not re.search(pattern, v)]
        if self.environment not in rules.ENVIRONMENTS:
            found.append(f"--environment must be one of {', '.join(rules.ENVIRONMENTS)}")
        if not self.roit_base_url.startswith("https://"):
            found.append("the ROIT base URL must be an https:// URL")
        if not 1 <= len(self.integration_id) <= 256:
            found.append("--integration-id must be 1 to 256 characters")
        if not self.erp_members:
            found.append("no --erp-principal: without one the ERP gets 403 on every pull")
        if not self.alert_emails and not self.notification_channels:
            found.append("no --alert-email or --notification-channel: alerts would reach nobody")
        examples = rules.problems_in(set_values("", self.assignments()), "answers")
        found += [f"{e.split(': ', 1)[1]}: give the deployment's own value" for e in examples]
        return found

    def assignments(self) -> dict[str, Any]:
        """The tfvars assignments (Terraform variable names)."""
        values: dict[str, Any] = {
            "project_id": self.project_id,
            "environment": self.environment,
            "region": self.region,
            "roit_base_url": self.roit_base_url,
            "roit_integration_id": self.integration_id,
            "team_group": self.team_group,
            "erp_subscriber_members": list(self.erp_members),
            "erp_publisher_members": list(self.erp_publishers or self.erp_members),
            "alert_email_addresses": list(self.alert_emails),
        }
        if self.notification_channels:
            values["notification_channels"] = list(self.notification_channels)
        return {**values, **self.extra}


def _forms(secret: str) -> list[str]:
    raw = secret.encode("utf-8")
    return [
        secret,
        base64.b64encode(raw).decode("ascii"),
        base64.urlsafe_b64encode(raw).decode("ascii").rstrip("="),
        json.dumps(secret)[1:-1],
    ]


def write_tfvars(path: Path, values: Mapping[str, Any], secrets: Iterable[str] = ()) -> bool:
    """Write ``values`` into ``path`` (created if missing, mode 0644; other lines kept).

    Returns:
        Whether the file changed.

    Raises:
        TfvarsRefused: the text would hold a secret (``secrets``, raw or base64, or any
            ``whsec_`` value) or an example value; nothing is written.
    """
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    header = "# Written by roitctl setup. Values that are secrets never go here.\n"
    text = set_values(old or header, values)
    if "whsec_" in text or any(
        form in text for secret in secrets if len(secret) >= 4 for form in _forms(secret)
    ):
        raise TfvarsRefused(f"refused to write {path}: it would hold a secret value")
    if found := rules.problems_in(text, str(path)):
        raise TfvarsRefused(f"{found[0]} (give the deployment's own value)")
    if text == old:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return True


def token_values(fixes: Iterable[str], current: Mapping[str, Any]) -> dict[str, Any]:
    """``roit_token`` / ``roit_auth_scheme`` from doctor's ``VAR=value`` fixes, merged into
    the file's ``current`` values; ``{}`` when there is nothing to change."""
    token = dict(current.get("roit_token") or {})
    values: dict[str, Any] = {}
    for fix in fixes:
        name, sep, value = " ".join(shlex.split(fix)).partition("=")
        if not sep:
            continue
        if name == "ROIT_AUTH_SCHEME":
            values["roit_auth_scheme"] = value
        elif name in _TOKEN_VARIABLES:
            key = _TOKEN_VARIABLES[name]
            token[key] = json.loads(value) if key == "extra_fields" else value
    if token != dict(current.get("roit_token") or {}):
        values["roit_token"] = token
    return values
