"""``roitctl dead-letters list | replay``: inspect the dead-letter subscriptions, and
republish dead letters to the topic they came from once their cause is fixed."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated

import typer

from roitctl import output
from roitctl.environment import applied
from roitctl.layout import PENDING_TOPIC, Layout, short_name
from roitctl.options import CommandError, EnvFile, Json, Project, environment
from roitctl.options import project as project_of

__all__ = ["dead_letters", "parse_duration"]

dead_letters = typer.Typer(help="Inspect and replay dead letters.", no_args_is_help=True)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``7d``.

    Raises:
        typer.BadParameter: anything else.
    """
    match = _DURATION.match(text)
    if not match:
        raise typer.BadParameter("a duration such as 90s, 15m, 2h or 7d")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dead_letters.command("list")
def list_dead_letters(  # noqa: PLR0917 - typer: one parameter per option
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
    from roitctl.deadletters.messages import list_subscriptions
    from roitctl.deadletters.report import list_table

    with applied(environment(env_file)):
        layout = Layout(project_of(project))
        names = subscriptions or layout.dead_letter_subscriptions()
        summaries = list_subscriptions(layout.project, names, limit=limit)
    if as_json:
        output.emit({"subscriptions": [s.to_json(show=show) for s in summaries]})
    else:
        list_table(summaries, show=show)
    raise typer.Exit(1 if any(s.problem for s in summaries) else 0)


@dead_letters.command("replay")
def replay_dead_letters(  # noqa: PLR0917 - typer: one parameter per option
    subscription: Annotated[str, typer.Argument(help="a dead-letter subscription")],
    error: Annotated[
        list[str] | None,
        typer.Option(
            "--error",
            help="only this error code (repeatable); replays even a code that cannot succeed "
            "as it is (invalid_message, too_old, roit_rejected_4xx), on purpose",
        ),
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
    from roitctl.deadletters.policy import ReplayOptions
    from roitctl.deadletters.replay import replay_subscription
    from roitctl.deadletters.report import replay_table

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
    with applied(environment(env_file)):
        project_id = project_of(project)
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
                raise CommandError(str(exc)) from None
    if as_json:
        output.emit(report.to_json())
    else:
        replay_table(report)
    if report.interrupted:
        raise typer.Exit(130)
    raise typer.Exit(1 if report.left or report.stopped else 0)
