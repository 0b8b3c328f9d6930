"""``roitctl doctor``: check a configuration against a live environment."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Annotated

import typer

from roitctl import gcp, output
from roitctl.doctor.probe import DEFAULT_PROBE_REQUEST_ID
from roitctl.environment import Deployment, command_environment, deployed_environment
from roitctl.options import CommandError, EnvFile, Json, Project, environment_of_file

__all__ = ["doctor"]


def _deployed(function: str, region: str | None, project: str | None) -> Deployment:
    """A deployed function's configuration, with the command's environment."""
    if not region:
        raise CommandError("--function needs --region (where the function is deployed)")
    where = project or gcp.default_project()
    if not where:
        raise CommandError("--function needs --project (or GOOGLE_CLOUD_PROJECT)")
    try:
        deployment = deployed_environment(function, project=where, region=region)
    except Exception as exc:  # noqa: BLE001 - API or credentials: say which
        problem = gcp.credentials_problem(exc) or gcp.api_problem(exc)
        raise CommandError(f"cannot read function {function}: {problem}") from None
    if deployment.secret_variables:
        names = ", ".join(deployment.secret_variables)
        output.note(f"not read (set from Secret Manager by the runtime): {names}")
    return replace(deployment, environment=command_environment(os.environ, deployment.environment))


def doctor(  # noqa: PLR0917 - typer: one parameter per option
    env_file: EnvFile = None,
    function: Annotated[
        str | None,
        typer.Option(
            "--function",
            help="read a deployed function's environment (Cloud Functions v2 API, "
            "Application Default Credentials)",
        ),
    ] = None,
    region: Annotated[str | None, typer.Option("--region", help="the function's region")] = None,
    project: Project = None,
    kind: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="which function's settings to check: poll_pending, update_status, "
            "register_delivery, reprocess, get_attachments (default: from the environment)",
        ),
    ] = None,
    probe_request_id: Annotated[
        str,
        typer.Option(
            "--probe-request-id",
            help="the request id whose attachments are asked for: one that cannot exist",
        ),
    ] = DEFAULT_PROBE_REQUEST_ID,
    pubsub: Annotated[bool, typer.Option("--pubsub/--no-pubsub", help="check Pub/Sub too")] = True,
    as_json: Json = False,
) -> None:
    """Check a configuration against a live environment, with no side effects at ROIT."""
    from roitctl.doctor.checks import passed
    from roitctl.doctor.report import doctor_table
    from roitctl.doctor.run import DoctorOptions, Kind, run_doctor

    if env_file and function:
        raise CommandError("give --env-file or --function, not both")
    deployment = _deployed(function, region, project) if function else environment_of_file(env_file)
    wanted = kind or deployment.entry_point
    try:
        chosen = Kind(wanted) if wanted else None
    except ValueError:
        raise CommandError(f"--as must be one of {', '.join(k.value for k in Kind)}") from None
    options = DoctorOptions(chosen, probe_request_id, pubsub, project, tuple(deployment.mounted))
    checks = run_doctor(deployment.environment, options)
    if as_json:
        output.emit({"passed": passed(checks), "checks": [c.to_json() for c in checks]})
    else:
        doctor_table(checks)
    raise typer.Exit(0 if passed(checks) else 1)
