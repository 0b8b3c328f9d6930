"""``roitctl setup``, ``roitctl webhook-secret rotate | retire``, ``roitctl token-settings``.

``setup`` takes each value from its flag, else from the tfvars file being written (a re-run
changes only what is given), else asks when standard input is a terminal. The ROIT client
credentials come from ``--credentials-file FILE`` (``-``: standard input) or a hidden prompt,
never from argv; values are never printed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from roitctl.golive.cliparts import Endpoint, Json, Problem, one_line_errors
from roitctl.golive.hcl import read_tfvars
from roitctl.golive.secrets import (
    CREDENTIALS_SECRET,
    WEBHOOK_SECRET,
    SecretValues,
    credentials_json,
)
from roitctl.golive.tfvars import ROIT_BASE_URLS, SetupValues, token_values, write_tfvars

__all__ = ["register"]

ErpPrincipals = Annotated[
    list[str] | None,
    typer.Option(
        "--erp-principal",
        help="serviceAccount:EMAIL or group:EMAIL the ERP runs as (repeatable): it pulls "
        "pending documents and publishes statuses and deliveries",
    ),
]
AlertEmails = Annotated[
    list[str] | None, typer.Option("--alert-email", help="receives every alert (repeatable)")
]
Channels = Annotated[
    list[str] | None,
    typer.Option(
        "--notification-channel",
        help="an existing projects/P/notificationChannels/N that receives every alert",
    ),
]


def _ask(flag: str, given: Any, current: Any, *, many: bool = False) -> Any:
    """The flag's value, else the file's, else a prompt (a terminal only), else a mistake."""
    if given:
        return given
    if current:
        return current
    if not sys.stdin.isatty():
        raise Problem(f"missing {flag} (or run in a terminal to be asked)")
    answer = typer.prompt(f"{flag[2:]}{' (comma-separated)' if many else ''}")
    return [a.strip() for a in answer.split(",") if a.strip()] if many else answer.strip()


def _credentials(source: Path | None, secrets: SecretValues | None) -> str | None:
    """The credentials secret's new value, or ``None`` to keep the one there."""
    if source is not None:
        try:
            raw = sys.stdin.read() if str(source) == "-" else source.read_text(encoding="utf-8")
        except OSError as exc:
            raise Problem(f"cannot read {source} ({type(exc).__name__})") from None
        return credentials_json(raw)
    if secrets is None or secrets.latest(CREDENTIALS_SECRET) is not None:
        return None
    if not sys.stdin.isatty():
        raise Problem("no ROIT credentials yet: give --credentials-file FILE (- for stdin)")
    client_id = typer.prompt("ROIT client id")
    secret = typer.prompt("ROIT client secret", hide_input=True)
    return credentials_json(json.dumps({"client_id": client_id, "client_secret": secret}))


@one_line_errors
def setup(
    tfvars: Annotated[
        Path | None,
        typer.Option(
            "--tfvars",
            help="the tfvars to write: terraform/environments/ENV.tfvars",
            dir_okay=False,
        ),
    ] = None,
    project: Annotated[str | None, typer.Option("--project")] = None,
    region: Annotated[str | None, typer.Option("--region")] = None,
    environment: Annotated[str | None, typer.Option("--environment", help="dev or prod")] = None,
    roit_env: Annotated[
        str | None,
        typer.Option(
            "--roit-env",
            help="ROIT's environment: hom or prod (default: hom for dev, prod for prod)",
        ),
    ] = None,
    integration_id: Annotated[str | None, typer.Option("--integration-id")] = None,
    team_group: Annotated[str | None, typer.Option("--team-group")] = None,
    erp_principal: ErpPrincipals = None,
    alert_email: AlertEmails = None,
    notification_channel: Channels = None,
    credentials_file: Annotated[
        Path | None,
        typer.Option(
            "--credentials-file",
            help='JSON {"client_id", "client_secret"}; - reads standard input',
            allow_dash=True,
        ),
    ] = None,
    skip_secrets: Annotated[
        bool, typer.Option("--skip-secrets", help="write the tfvars only (before the apply)")
    ] = False,
    regenerate_webhook_secret: Annotated[
        bool, typer.Option("--regenerate-webhook-secret", help="replace the webhook secret")
    ] = False,
    endpoint: Endpoint = None,
    as_json: Json = False,
) -> None:
    """Write the environment's tfvars and add the secret values (safe to run again)."""
    if tfvars is None:
        raise Problem("give --tfvars FILE (terraform/environments/ENV.tfvars, new or existing)")
    current = read_tfvars(tfvars)
    env = _ask("--environment", environment, current.get("environment"))
    base_url = ROIT_BASE_URLS.get(roit_env or "") or current.get("roit_base_url")
    if roit_env and roit_env not in ROIT_BASE_URLS:
        raise Problem(f"--roit-env must be one of {', '.join(ROIT_BASE_URLS)}")
    channels = notification_channel or current.get("notification_channels") or ()
    values = SetupValues(
        project_id=_ask("--project", project, current.get("project_id")),
        region=region or current.get("region") or "southamerica-east1",
        environment=env,
        roit_base_url=base_url or ROIT_BASE_URLS["prod" if env == "prod" else "hom"],
        integration_id=_ask("--integration-id", integration_id, current.get("roit_integration_id")),
        team_group=_ask("--team-group", team_group, current.get("team_group")),
        erp_members=tuple(
            _ask("--erp-principal", erp_principal, current.get("erp_subscriber_members"), many=True)
        ),
        erp_publishers=tuple(erp_principal or current.get("erp_publisher_members") or ()),
        alert_emails=tuple(
            alert_email
            or current.get("alert_email_addresses")
            or (() if channels else _ask("--alert-email", None, None, many=True))
        ),
        notification_channels=tuple(channels),
    )
    if problems := values.problems():
        raise Problem(problems[0])
    secrets = None if skip_secrets else SecretValues(values.project_id, endpoint)
    credentials = _credentials(credentials_file, secrets)
    known = [json.loads(credentials)["client_secret"]] if credentials else []
    if secrets is not None:
        known += secrets.webhook_secrets()
    changed = write_tfvars(tfvars, values.assignments(), known)
    report: dict[str, Any] = {"tfvars": {"path": str(tfvars), "changed": changed}}
    if secrets is None:
        report |= {"credentials": "skipped", "webhookSecret": "skipped"}
    else:
        added = secrets.put(CREDENTIALS_SECRET, credentials) if credentials else None
        report["credentials"] = f"added version {added}" if added else "unchanged"
        webhook = secrets.ensure_webhook_secret(regenerate=regenerate_webhook_secret)
        report["webhookSecret"] = f"added version {webhook}" if webhook else "kept (one exists)"
    report["next"] = _next_steps(tfvars, skipped=secrets is None)
    _print(report, as_json)


def _next_steps(tfvars: Path, *, skipped: bool) -> list[str]:
    steps = [f"commit {tfvars}: the pipeline plans the committed file"]
    if skipped:
        steps.append(
            f"after the apply: roitctl setup --tfvars {tfvars} --credentials-file - "
            "(adds the secret values)"
        )
    return [
        *steps,
        f"roitctl token-settings --tfvars {tfvars}: what ROIT's token endpoint needs",
        "after the apply: terraform output -json > outputs.json, then "
        f"roitctl smoke --outputs outputs.json --tfvars {tfvars}",
        f"roitctl handover erp|partner --outputs outputs.json --tfvars {tfvars}",
    ]


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key == "next":
            print("next:")
            print("\n".join(f"  {step}" for step in value))
        elif isinstance(value, dict):
            print(f"{key}: {value['path']} {'written' if value['changed'] else 'unchanged'}")
        else:
            print(f"{key}: {value}")


def _project(project: str | None, tfvars: Path | None) -> str:
    found = project or (read_tfvars(tfvars).get("project_id") if tfvars else None)
    if not found:
        raise Problem("give --project or --tfvars")
    return str(found)


Project = Annotated[str | None, typer.Option("--project", help="default: the tfvars'")]
TfvarsIn = Annotated[Path | None, typer.Option("--tfvars", dir_okay=False)]


@one_line_errors
def rotate(project: Project = None, tfvars: TfvarsIn = None, endpoint: Endpoint = None) -> None:
    """Add a second webhook secret beside the one in force: both verify until `retire`."""
    version = SecretValues(_project(project, tfvars), endpoint).rotate_webhook_secret()
    print(f"{WEBHOOK_SECRET}: version {version} holds the old and a new secret; both verify")
    print("next: give the partner the new one (roitctl handover partner --show-secret), then")
    print("      roitctl webhook-secret retire once they sign with it")


@one_line_errors
def retire(project: Project = None, tfvars: TfvarsIn = None, endpoint: Endpoint = None) -> None:
    """Keep only the newest webhook secret (after the partner switched to it)."""
    version = SecretValues(_project(project, tfvars), endpoint).retire_webhook_secret()
    print(f"{WEBHOOK_SECRET}: version {version} holds the new secret only")


@one_line_errors
def token_settings(
    tfvars: Annotated[Path | None, typer.Option("--tfvars", dir_okay=False)] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="ask this ROIT instead (a local sandbox)")
    ] = None,
    endpoint: Endpoint = None,
) -> None:
    """Ask ROIT's token endpoint what it needs (doctor's probe), write it into the tfvars."""
    from roitctl.doctor.checks import Status
    from roitctl.doctor.run import DoctorOptions, run_doctor
    from roitctl.environment import command_environment

    if tfvars is None:
        raise Problem("give --tfvars FILE (the one roitctl setup wrote)")
    current = read_tfvars(tfvars)
    if not current.get("roit_base_url"):
        raise Problem(f"{tfvars} has no roit_base_url: run roitctl setup --tfvars {tfvars} first")
    token = current.get("roit_token") or {}
    env = {
        "ROIT_BASE_URL": base_url or str(current.get("roit_base_url") or ""),
        "ROIT_INTEGRATION_ID": str(current.get("roit_integration_id") or ""),
        "ROIT_GCP_PROJECT": _project(None, tfvars),
        "ROIT_CREDENTIALS_SECRET": CREDENTIALS_SECRET,
        "ROIT_AUTH_SCHEME": str(current.get("roit_auth_scheme") or "raw"),
        **{
            f"ROIT_TOKEN_{key.upper()}": json.dumps(value) if key == "extra_fields" else value
            for key, value in token.items()
        },
    }
    if endpoint:
        env["ROIT_SECRET_MANAGER_ENDPOINT"] = endpoint
    checks = run_doctor(command_environment(os.environ, env), DoctorOptions(pubsub=False))
    fixes = [f for c in checks for f in c.fix if f.startswith(("ROIT_TOKEN_", "ROIT_AUTH_SCHEME="))]
    values = token_values(fixes, current)
    stuck = [c for c in checks if c.status is Status.FAILED and not fixes]
    if stuck:
        print(f"{stuck[0].name}: {stuck[0].detail}", file=sys.stderr)
        raise typer.Exit(1)
    if not values:
        print(f"the token settings in {tfvars} work as they are: nothing to change")
        return
    write_tfvars(tfvars, values)
    for key, value in values.items():
        print(f"wrote {key} = {json.dumps(value)}")


def register(app: typer.Typer) -> None:
    """Add these commands to roitctl."""
    app.command("setup")(setup)
    app.command("token-settings")(token_settings)
    webhook = typer.Typer(help="Rotate the partner webhook's secret.", no_args_is_help=True)
    webhook.command("rotate")(rotate)
    webhook.command("retire")(retire)
    app.add_typer(webhook, name="webhook-secret")
