"""What was deployed, by name: from ``terraform output -json`` and the environment's tfvars.

``--outputs FILE`` is what ``terraform output -json > FILE`` writes after an apply (the names
Terraform created: topics, the ERP's subscription, the functions' URLs, the notification
channels); ``--tfvars FILE`` is the environment's tfvars (what was asked for: the project, the
ERP's principals, the budgets). Without outputs, the names are the ones terraform/pubsub.tf
always creates in the tfvars' project; the functions' URLs are then unknown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from roitctl.golive.hcl import TfvarsError, read_tfvars
from roitctl.layout import SOURCE_SUBSCRIPTIONS, TOPICS, Layout, dead_letter_subscription

__all__ = ["DEPLOYED_SETTINGS", "Deployed", "DeployedError", "load_deployed", "terraform_defaults"]

VARIABLES_TF = Path(__file__).resolve().parents[2] / "terraform" / "variables.tf"
DEPLOYED_SETTINGS = (
    "poll_interval_minutes",
    "poll_time_budget_s",
    "retry_budget_s",
    "erp_ack_deadline_s",
    "erp_max_delivery_attempts",
    "message_retention_s",
    "max_message_age_s",
    "delivery_max_batch",
)
"""The timings and budgets a deployment runs with that the hand-over states (the local stack
runs shorter ones of its own)."""


def terraform_defaults(path: Path = VARIABLES_TF) -> dict[str, Any]:
    """The variables' defaults in terraform/variables.tf (``{}`` outside a checkout)."""
    if not path.exists():
        return {}
    import hcl2

    from roitctl.golive.hcl import plain

    blocks = hcl2.loads(path.read_text(encoding="utf-8")).get("variable", [])
    return {
        str(plain(name)): plain(body["default"])
        for block in blocks
        for name, body in block.items()
        if "default" in body
    }


class DeployedError(ValueError):
    """The outputs or tfvars cannot say what is needed; the message says what to give."""


def _outputs(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeployedError(f"{path} cannot be read ({type(exc).__name__})") from None
    except ValueError:
        raise DeployedError(f"{path} is not `terraform output -json` output") from None
    if not isinstance(doc, dict):
        raise DeployedError(f"{path} is not `terraform output -json` output")
    # terraform output -json: {"name": {"value": ..., "type": ..., "sensitive": ...}}
    return {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in doc.items()}


def _short(path: str) -> str:
    return path.rsplit("/", 1)[-1]


@dataclass
class Deployed:
    """The deployment's names and what was asked for."""

    project: str
    region: str | None = None
    environment: str | None = None
    function_uris: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)  # short name -> id
    erp_subscription: str = ""
    dead_letter_subscriptions: list[str] = field(default_factory=list)
    notification_channels: list[str] = field(default_factory=list)
    erp_subscribers: list[str] = field(default_factory=list)
    erp_publishers: list[str] = field(default_factory=list)
    tfvars: dict[str, Any] = field(default_factory=dict)
    from_outputs: bool = False

    def topic(self, name: str) -> str:
        """A topic's full id."""
        return self.topics.get(name) or Layout(self.project).topic(name)

    def settings(self) -> dict[str, dict[str, Any]]:
        """Each of :data:`DEPLOYED_SETTINGS`: its value and where it comes from."""
        defaults = terraform_defaults()
        found: dict[str, dict[str, Any]] = {}
        for name in DEPLOYED_SETTINGS:
            if name in self.tfvars:
                found[name] = {"value": self.tfvars[name], "from": "the tfvars"}
            elif name in defaults:
                found[name] = {"value": defaults[name], "from": "Terraform's default"}
        for name, sizing in (self.tfvars.get("function_settings") or {}).items():
            found[f"function_settings.{name}"] = {"value": sizing, "from": "the tfvars"}
        return found

    def webhook_url(self) -> str | None:
        """The partner webhook's URL (``reprocess-webhook``), when the outputs say it."""
        return self.function_uris.get("reprocess-webhook")


def load_deployed(outputs: Path | None, tfvars: Path | None) -> Deployed:
    """The deployment from either file or both.

    Raises:
        DeployedError: neither given, unreadable, or no project in them.
    """
    if outputs is None and tfvars is None:
        raise DeployedError("give --outputs (terraform output -json > FILE) and/or --tfvars FILE")
    try:
        values = read_tfvars(tfvars) if tfvars else {}
    except TfvarsError as exc:
        raise DeployedError(str(exc)) from None
    if tfvars and not values:
        raise DeployedError(f"{tfvars} does not exist or holds nothing")
    out = _outputs(outputs) if outputs else {}
    topics = {_short(t): t for t in (out.get("topics") or {}).values()}
    project = values.get("project_id") or next(
        (t.split("/")[1] for t in topics.values() if t.startswith("projects/")), None
    )
    if not project:
        raise DeployedError("no project: give --tfvars (project_id) or --outputs with topics")
    layout = Layout(project)
    erp = out.get("erp_subscription") or layout.subscription(SOURCE_SUBSCRIPTIONS["roit-pending"])
    dead = out.get("dead_letter_subscriptions") or {
        t: layout.subscription(dead_letter_subscription(t)) for t in TOPICS
    }
    return Deployed(
        project=project,
        region=values.get("region"),
        environment=values.get("environment"),
        function_uris=dict(out.get("function_uris") or {}),
        topics=topics or {t: layout.topic(t) for t in TOPICS},
        erp_subscription=erp,
        dead_letter_subscriptions=[_short(s) for s in dead.values()],
        notification_channels=list(out.get("notification_channels") or []),
        erp_subscribers=list(values.get("erp_subscriber_members") or []),
        erp_publishers=list(values.get("erp_publisher_members") or []),
        tfvars=values,
        from_outputs=bool(out),
    )
