"""``roitctl handover erp | partner`` and ``roitctl smoke``; :func:`register` adds every
go-live command to roitctl.

Names come from ``--outputs`` (``terraform output -json > FILE`` after the apply) and
``--tfvars`` (the environment's tfvars): see :mod:`roitctl.golive.deployed`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from roitctl.golive import setup as setup_commands
from roitctl.golive.cliparts import Endpoint, Json, Outputs, Problem, Tfvars, one_line_errors
from roitctl.golive.deployed import load_deployed
from roitctl.golive.handover import erp_markdown, erp_sheet, partner_markdown, partner_sheet

__all__ = ["register"]

handover = typer.Typer(
    help="The hand-over sheets (Markdown, or --json). Names from --outputs "
    "(terraform output -json > FILE) and --tfvars (the environment's tfvars).",
    no_args_is_help=True,
)


@handover.command("erp")
@one_line_errors
def handover_erp(outputs: Outputs = None, tfvars: Tfvars = None, as_json: Json = False) -> None:
    """The ERP team's sheet: topics, subscription, principals, contract, a working example."""
    sheet = erp_sheet(load_deployed(outputs, tfvars))
    print(json.dumps(sheet, indent=2) if as_json else erp_markdown(sheet), end="\n")


@handover.command("partner")
@one_line_errors
def handover_partner(
    outputs: Outputs = None,
    tfvars: Tfvars = None,
    show_secret: Annotated[
        bool,
        typer.Option(
            "--show-secret",
            help="also print the webhook secret in force (the newest), once, to a terminal",
        ),
    ] = False,
    endpoint: Endpoint = None,
    as_json: Json = False,
) -> None:
    """The webhook partner's sheet: URL, how the secret reaches them, signing, retries."""
    deployed = load_deployed(outputs, tfvars)
    sheet = partner_sheet(deployed)
    if show_secret and not sys.stdout.isatty():
        raise Problem("--show-secret prints to a terminal only: run it without redirecting stdout")
    print(json.dumps(sheet, indent=2) if as_json else partner_markdown(sheet), end="\n")
    if show_secret:
        from roitctl.golive.secrets import SecretValues

        current = SecretValues(deployed.project, endpoint).webhook_secrets()
        if not current:
            raise Problem("no webhook secret yet: run roitctl setup first")
        print(f"\nwebhook secret (give it to the partner, then clear this screen): {current[-1]}")


@one_line_errors
def smoke(
    outputs: Annotated[
        Path | None,
        typer.Option(
            "--outputs",
            help="`terraform output -json > FILE` after the apply",
            dir_okay=False,
        ),
    ] = None,
    tfvars: Tfvars = None,
    local_env_dir: Annotated[
        Path | None,
        typer.Option(
            "--local-env-dir",
            help="the local stack: read each function's settings from DIR/<name>.env, call "
            "poll-pending with no identity token, report Cloud Monitoring as not applicable",
            file_okay=False,
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """After an apply: doctor per function, one poll page, Pub/Sub, dead letters, alerting."""
    from roitctl import output
    from roitctl.doctor.checks import Status
    from roitctl.golive import reach
    from roitctl.golive.smoke import CloudMonitoring, NotApplicable, SmokeParts, run_smoke

    if outputs is None:
        raise Problem("give --outputs FILE (terraform output -json > FILE after the apply)")
    deployed = load_deployed(outputs, tfvars)
    if local_env_dir and not local_env_dir.is_dir():
        raise Problem(f"--local-env-dir {local_env_dir} is not a directory")
    if local_env_dir:
        parts = SmokeParts(
            reach.env_dir_source(local_env_dir), reach.plain_post, NotApplicable(), _dead
        )
    else:
        if not deployed.region:
            raise Problem("give --tfvars (its region says where the functions are)")
        parts = SmokeParts(
            reach.cloud_source(deployed.project, deployed.region),
            reach.identity_post,
            CloudMonitoring(),
            _dead,
        )
    checks = run_smoke(deployed, parts)
    ok = all(c.status is not Status.FAILED for c in checks)
    if as_json:
        output.emit({"passed": ok, "checks": [c.to_json() for c in checks]})
    else:
        for c in checks:
            print(f"{c.status.value:7} {c.name}: {c.detail}")
            for fix in c.fix:
                print(f"        -> {fix}")
        skipped = sum(c.status is Status.SKIPPED for c in checks)
        failed = sum(c.status is Status.FAILED for c in checks)
        print(f"{'every check passed' if ok else f'{failed} check(s) failed'} ({skipped} skipped)")
    raise typer.Exit(0 if ok else 1)


def _dead(project: str, names: list[str]) -> list[object]:
    from roitctl.deadletters.messages import list_subscriptions

    return list(list_subscriptions(project, names, limit=100))


def register(app: typer.Typer) -> None:
    """Add every go-live command to roitctl."""
    setup_commands.register(app)
    app.add_typer(handover, name="handover")
    app.command("smoke")(smoke)
