"""``roitctl doctor | dead-letters list | dead-letters replay`` (``python -m roitctl``).

Output is for people (tables; a progress line on stderr while replaying); ``--json`` prints
one JSON document on stdout instead. Exit status: 0 all good, 1 something failed or was left
in place (reported), 2 the command could not start, 130 interrupted.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from roitctl import gcp, output
from roitctl.environment import (
    EnvFileError,
    applied,
    command_environment,
    deployed_environment,
    read_env_file,
)
from roitctl.golive.commands import register as register_golive
from roitctl.layout import PENDING_TOPIC, Layout, short_name
from roitctl.probe import DEFAULT_PROBE_REQUEST_ID

__all__ = ["app", "main", "parse_duration"]

app = typer.Typer(
    name="roitctl",
    help="Operator CLI of the ROIT ERP connector: doctor, dead-letters list | replay.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
dead_letters = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)
app.add_typer(dead_letters, name="dead-letters")
register_golive(app)  # setup, token-settings, webhook-secret, handover, smoke

EnvFile = Annotated[
    Path | None,
    typer.Option(
        "--env-file",
        help="KEY=VALUE lines (or a JSON object) to use instead of this shell's ROIT_* variables",
        exists=True,
        dir_okay=False,
    ),
]
Project = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Google Cloud project (default: ROIT_GCP_PROJECT, "
        "GOOGLE_CLOUD_PROJECT, the credentials' project)",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="print one JSON document instead")]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Fail(Exception):
    """The command cannot start; the message says why."""


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d``.

    Raises:
        typer.BadParameter: anything else.
    """
    match = _DURATION.match(text)
    if not match:
        raise typer.BadParameter("a duration such as 90s, 15m, 2h or 7d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _environment(env_file: Path | None) -> dict[str, str]:
    """This shell's environment, or with the env file's in place of its ``ROIT_*``."""
    if not env_file:
        return dict(os.environ)
    try:
        return command_environment(os.environ, read_env_file(env_file))
    except EnvFileError as exc:
        raise Fail(str(exc)) from None


def _deployed(function: str, region: str | None, project: str | None) -> tuple[dict[str, str], str]:
    """A deployed function's environment, and its entry point (which function it runs)."""
    if not region:
        raise Fail("--function needs --region (where the function is deployed)")
    where = project or gcp.default_project()
    if not where:
        raise Fail("--function needs --project (or GOOGLE_CLOUD_PROJECT)")
    try:
        deployment = deployed_environment(function, project=where, region=region)
    except Exception as exc:  # noqa: BLE001 - API or credentials: say which
        raise Fail(f"cannot read function {function}: {gcp.api_problem(exc)}") from None
    if deployment.secret_variables:
        names = ", ".join(deployment.secret_variables)
        output.note(f"not read (set from Secret Manager by the runtime): {names}")
    env = command_environment(os.environ, deployment.environment)
    return env, deployment.entry_point or ""


def _project(project: str | None) -> str:
    found = project or gcp.default_project()
    if not found:
        raise Fail("no project: pass --project, or set ROIT_GCP_PROJECT")
    return found


@app.command()
def doctor(
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
    from roitctl.checks import passed
    from roitctl.doctor import DoctorOptions, Kind, run_doctor

    if env_file and function:
        raise Fail("give --env-file or --function, not both")
    env, entry = _deployed(function, region, project) if function else (_environment(env_file), "")
    wanted = kind or entry
    try:
        chosen = Kind(wanted) if wanted else None
    except ValueError:
        raise Fail(f"--as must be one of {', '.join(k.value for k in Kind)}") from None
    options = DoctorOptions(chosen, probe_request_id, pubsub, project)
    checks = run_doctor(env, options)
    if as_json:
        output.emit({"passed": passed(checks), "checks": [c.to_json() for c in checks]})
    else:
        output.doctor_table(checks)
    raise typer.Exit(0 if passed(checks) else 1)


@dead_letters.command("list")
def list_dead_letters(
    subscriptions: Annotated[
        list[str] | None,
        typer.Argument(help="dead-letter subscriptions (default: the deployment's three)"),
    ] = None,
    env_file: EnvFile = None,
    project: Project = None,
    show: Annotated[
        bool,
        typer.Option("--show", help="print each message in full (bodies may carry business data)"),
    ] = False,
    limit: Annotated[
        int, typer.Option("--max", min=1, help="read at most this many per subscription")
    ] = 1000,
    as_json: Json = False,
) -> None:
    """Per dead-letter subscription: count, oldest, counts by error, a few reasons."""
    from roitctl.deadletters import list_subscriptions

    with applied(_environment(env_file)):
        layout = Layout(_project(project))
        names = subscriptions or layout.dead_letter_subscriptions()
        summaries = list_subscriptions(layout.project, names, limit=limit)
    if as_json:
        output.emit({"subscriptions": [s.to_json(show=show) for s in summaries]})
    else:
        output.list_table(summaries, show=show)
    raise typer.Exit(1 if any(s.problem for s in summaries) else 0)


@dead_letters.command("replay")
def replay_dead_letters(
    subscription: Annotated[str, typer.Argument(help="a dead-letter subscription")],
    error: Annotated[
        list[str] | None, typer.Option("--error", help="only this error code (repeatable)")
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than", help="only dead-lettered longer ago than this (90s, 15m, 2h, 7d)"
        ),
    ] = None,
    newer_than: Annotated[
        str | None,
        typer.Option("--newer-than", help="only dead-lettered within this (90s, 15m, 2h, 7d)"),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="handle at most N messages")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="say what would be replayed; change nothing")
    ] = False,
    max_replays: Annotated[
        int,
        typer.Option(
            "--max-replays",
            min=1,
            envvar="ROITCTL_MAX_REPLAYS",
            help="leave a message in place once replayed this many times",
        ),
    ] = 3,
    to_pending: Annotated[
        bool,
        typer.Option(
            "--to-pending",
            help="allow replays to the pending topic (the ERP may not read them either)",
        ),
    ] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=1000)] = 50,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0.1, help="at most this many messages per second")
    ] = None,
    ack_deadline: Annotated[
        int,
        typer.Option(
            "--ack-deadline",
            min=10,
            max=600,
            help="seconds a message is held; after a crash it is replayable again after this",
        ),
    ] = 60,
    env_file: EnvFile = None,
    project: Project = None,
    as_json: Json = False,
) -> None:
    """Republish dead letters to the topic they came from, then acknowledge them."""
    from roitctl.replay import ReplayOptions, replay_subscription

    options = ReplayOptions(
        errors=frozenset(error or ()),
        older_than=parse_duration(older_than) if older_than else None,
        newer_than=parse_duration(newer_than) if newer_than else None,
        limit=limit,
        dry_run=dry_run,
        max_replays=max_replays,
        to_pending=to_pending,
        batch_size=batch_size,
        rate=rate,
    )
    with applied(_environment(env_file)):
        project_id = _project(project)
        pending = short_name(os.environ.get("ROIT_PENDING_TOPIC") or PENDING_TOPIC)
        with output.Progress(enabled=not as_json) as progress:
            try:
                report = replay_subscription(
                    project_id,
                    subscription,
                    options,
                    pending_topic=pending,
                    ack_deadline_s=ack_deadline,
                    progress=progress.update,
                )
            except LookupError as exc:
                raise Fail(str(exc)) from None
    if as_json:
        output.emit(report.to_json())
    else:
        output.replay_table(report)
    if report.interrupted:
        raise typer.Exit(130)
    raise typer.Exit(1 if report.left or report.stopped else 0)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _json_last(args: list[str]) -> list[str]:
    """``--json`` is every command's option: also taken before the command's name
    (``roitctl --json dead-letters list``), where the parser alone would refuse it."""
    if "--json" not in args:
        return args
    return [a for a in args if a != "--json"] + ["--json"]


def main(argv: list[str] | None = None) -> None:
    """The console script: run one command and exit with its status."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    connector = logging.getLogger("roit")  # the connector's own logs are for Cloud Logging
    level = connector.level
    connector.setLevel(logging.CRITICAL + 1)
    try:
        args = _json_last(sys.argv[1:] if argv is None else argv)
        code = app(args=args, prog_name="roitctl", standalone_mode=False)
    except Fail as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # noqa: BLE001 - the parser's usage errors and the rest
        code = _exit_code(exc)
    finally:
        connector.setLevel(level)
    sys.exit(code if isinstance(code, int) else 0)


def _exit_code(exc: Exception) -> int:
    """Usage errors and the like, shown as the argument parser words them."""
    if isinstance(exc, typer.Abort):
        return 130
    show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
    if callable(show) and isinstance(code, int):
        show()
        return code
    raise exc
