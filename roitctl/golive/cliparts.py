"""What the go-live commands share: one-line errors (exit 2), and their common options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from roitctl.environment import EnvFileError
from roitctl.golive.deployed import DeployedError
from roitctl.golive.handover import HandoverError
from roitctl.golive.hcl import TfvarsError
from roitctl.golive.secrets import SecretsError
from roitctl.golive.tfvars import TfvarsRefused

__all__ = ["Endpoint", "Json", "Outputs", "Problem", "Tfvars", "one_line_errors"]

F = TypeVar("F", bound=Callable[..., Any])


class Problem(Exception):
    """A user's mistake: one line saying what to do."""


_MISTAKES = (Problem, SecretsError, TfvarsRefused, TfvarsError, DeployedError, HandoverError)


def one_line_errors(command: F) -> F:
    """Print the operator's mistakes as ``error: ...`` (one line, exit 2), never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (*_MISTAKES, EnvFileError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


Json = Annotated[bool, typer.Option("--json", help="print one JSON document instead")]
Tfvars = Annotated[
    Path | None,
    typer.Option(
        "--tfvars",
        help="the environment's tfvars (terraform/environments/ENV.tfvars): the project, the "
        "ERP's principals and the budgets asked for",
        dir_okay=False,
    ),
]
Outputs = Annotated[
    Path | None,
    typer.Option(
        "--outputs",
        help="`terraform output -json > FILE` after the apply: the names Terraform created "
        "(topics, subscriptions, function URLs, notification channels)",
        dir_okay=False,
    ),
]
Endpoint = Annotated[
    str | None,
    typer.Option(
        "--secret-manager-endpoint",
        envvar="ROIT_SECRET_MANAGER_ENDPOINT",
        help="a local Secret Manager stand-in (http://127.0.0.1:PORT); default: Google's",
    ),
]
