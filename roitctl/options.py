"""What every command shares: its options (``--env-file``, ``--project``, ``--json``), where
its settings come from, and :class:`CommandError`, the mistake that stops it (exit 2)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from roitctl import gcp
from roitctl.environment import (
    Deployment,
    EnvFileError,
    command_environment,
    described_function,
    read_env_file,
)

__all__ = [
    "CommandError",
    "EnvFile",
    "Json",
    "Project",
    "environment",
    "environment_of_file",
    "project",
]


class CommandError(Exception):
    """The command cannot start; the message says why and what to do (one line, exit 2)."""


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


def environment(env_file: Path | None) -> dict[str, str]:
    """This shell's environment, or with the env file's in place of its ``ROIT_*``.

    Raises:
        CommandError: the env file cannot be read.
    """
    if not env_file:
        return dict(os.environ)
    try:
        return command_environment(os.environ, read_env_file(env_file))
    except EnvFileError as exc:
        raise CommandError(str(exc)) from None


def environment_of_file(env_file: Path | None) -> Deployment:
    """:func:`environment`, and when the env file is a described function (``gcloud functions
    describe --format=json``) its entry point and the secrets it mounts too.

    Raises:
        CommandError: the env file cannot be read.
    """
    try:
        described = described_function(env_file) if env_file else None
    except EnvFileError as exc:
        raise CommandError(str(exc)) from None
    if described is None:
        return Deployment("", None, environment(env_file))
    env = command_environment(os.environ, described.environment)
    return Deployment(described.name, described.entry_point, env, mounted=described.mounted)


def project(given: str | None) -> str:
    """``--project``, else the environment's or the credentials' project.

    Raises:
        CommandError: none of them names one.
    """
    found = given or gcp.default_project()
    if not found:
        raise CommandError("no project: pass --project, or set ROIT_GCP_PROJECT")
    return found
