"""``roitctl`` (``python -m roitctl``): every command family, as :data:`HELP` lists them.

Output is for people (tables; a progress line on stderr while replaying); ``--json`` prints
one JSON document on stdout instead. Exit status: 0 all good, 1 something failed or was left
in place (reported), 2 the command could not start, 130 interrupted.

Every command runs through :func:`main`, the one place a failure becomes what the operator
sees: a mistake (:class:`~roitctl.options.CommandError`) or Google refusing the credentials,
the permission or the project (:func:`roitctl.gcp.credentials_problem`) is one line saying
what to do, exit 2; Google failing otherwise is one line, exit 1. Only a bug shows a traceback.
"""

from __future__ import annotations

import logging
import signal
import sys
from importlib import metadata
from types import FrameType
from typing import Annotated

import typer

from roitctl import gcp
from roitctl.deadletters.command import dead_letters
from roitctl.doctor.command import doctor
from roitctl.golive.commands import register as register_golive
from roitctl.options import CommandError

__all__ = ["HELP", "app", "main", "version"]

HELP = (
    "Operator CLI of the ROIT ERP connector.\n\n"
    "Going live: setup (writes the environment's tfvars, adds the secret values), "
    "token-settings (writes what ROIT's token endpoint needs into the tfvars), "
    "webhook-secret rotate | retire (the partner webhook's secret), "
    "handover erp | partner (the sheets for the ERP's developers and the partner), "
    "smoke (checks a deployment after an apply).\n\n"
    "Running it: doctor (checks a configuration against a live environment), "
    "dead-letters list | replay (inspects dead letters, republishes them once fixed)."
)
"""The top-level ``--help``: every command family (a test holds it to the registered ones)."""

app = typer.Typer(
    name="roitctl",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(doctor)
app.add_typer(dead_letters, name="dead-letters")
register_golive(app)  # setup, token-settings, webhook-secret, handover, smoke


def version() -> str:
    """The installed version of the distribution that holds roitctl (its package metadata)."""
    names = metadata.packages_distributions().get(__package__ or "roitctl") or []
    return metadata.version(names[0]) if names else "unknown (not installed: run make install)"


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"roitctl {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """The options taken before any command (the help is :data:`HELP`)."""


_INTERRUPTED = 130  # Ctrl-C or SIGTERM


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
    except KeyboardInterrupt:  # before a command ran (typer makes it exit status 130 in one)
        code = _INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - each kind said in one line, bugs re-raised
        code = _failed(exc)
    finally:
        connector.setLevel(level)
    if code == _INTERRUPTED:  # said here only, whoever stopped: a command, typer, click
        print("interrupted", file=sys.stderr)
    sys.exit(code if isinstance(code, int) else 0)


def _failed(exc: Exception) -> int:
    """Say why the command stopped, in one line on stderr; its exit status.

    Raises:
        Exception: ``exc`` itself when it is a bug (its traceback is what to report).
    """
    from google.api_core.exceptions import GoogleAPIError

    if isinstance(exc, typer.Abort):
        return _INTERRUPTED
    show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
    if callable(show) and isinstance(code, int):  # the parser's usage errors, as it words them
        show()
        return code
    if isinstance(exc, CommandError):
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if problem := gcp.credentials_problem(exc):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if isinstance(exc, GoogleAPIError):
        print(f"error: Google Cloud {gcp.api_problem(exc)}: run it again", file=sys.stderr)
        return 1
    raise exc
