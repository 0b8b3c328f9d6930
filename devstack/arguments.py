"""The command line of `python -m devstack`: its commands and options, each checked as it is
read, so that a user's mistake is one line (`error: ...`, exit 2) and never a traceback."""

from __future__ import annotations

import argparse
import base64
import binascii
import sys
from collections.abc import Callable, Mapping
from typing import NoReturn

__all__ = ["UsageError", "parser"]

_CLI = "python -m devstack"


class UsageError(RuntimeError):
    """A user's mistake found after the options were read: one line, exit 2."""


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake is one line naming the command's --help (no usage block)."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def _number(kind: Callable[[str], float], low: float, high: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low:g} and {high:g}")
        return value

    return parse


def _count(text: str) -> int:
    return int(_number(int, 0, 10**6)(text))


def _attribute(text: str) -> tuple[str, str]:
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key, value


def _webhook_secret(text: str) -> str:
    try:
        key = base64.b64decode(text.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        key = b""
    if not text.startswith("whsec_") or not key:
        raise argparse.ArgumentTypeError("expected whsec_ followed by base64")
    return text


_STACK_HELP = "the stack to use (default: $DEVSTACK_STACK, else the only one running)"


Command = Callable[[argparse.Namespace], int]


def parser(run: Mapping[str, Command], description: str | None = None) -> argparse.ArgumentParser:
    """Every command and its options; `run` maps each command's name to what runs it."""
    top = _OneLineParser(prog=_CLI, description=description)
    commands = top.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    up = commands.add_parser("up", help="start the local stack until Ctrl-C")
    up.add_argument("--documents", type=_count, default=50, help="PENDING documents to seed")
    up.add_argument("--master", type=_count, default=10, help="PENDING POs and suppliers each")
    up.add_argument("--received", type=_count, default=3, help="not-ready documents")
    up.add_argument("--name", help="this stack's name (default stack-<pid>)")
    up.add_argument(
        "--base-port",
        type=lambda t: int(_number(int, 1024, 65535 - 16)(t)),
        metavar="N",
        help="fixed ports: sandbox N, emulator N+1, Secret Manager N+2, functions N+3..N+8 "
        "(default: free ports, printed at start)",
    )
    up.add_argument(
        "--mounted-secrets",
        action="store_true",
        help="give the functions their secrets as files (ROIT_CREDENTIALS_FILE, "
        "ROIT_WEBHOOK_SECRETS_FILE), as Terraform mounts them; default: by name from the "
        "Secret Manager stand-in",
    )
    up.set_defaults(run=run["up"])

    demo = commands.add_parser("demo", help="run one whole reconciled cycle")
    demo.add_argument("--documents", type=_count, default=200, help="PENDING documents to seed")
    demo.add_argument("--keep-up", action="store_true", help="keep the stack up afterwards")
    demo.add_argument("--name", help="the kept-up stack's name (default stack-<pid>)")
    demo.set_defaults(run=run["demo"])

    soak = commands.add_parser(
        "soak", help="the stack under mixed faults for a sustained run, every document reconciled"
    )
    rate = _number(float, 0.0, 1.0)
    soak.add_argument("--short", action="store_true", help="the small variant `make test` runs")
    soak.add_argument("--documents", type=_count, help="documents to seed (default 1900)")
    soak.add_argument("--master", type=_count, help="POs and as many suppliers (default 50)")
    soak.add_argument("--received", type=_count, help="not-ready documents (default 10)")
    soak.add_argument("--deliveries", type=_count, help="delivery messages (default 500)")
    soak.add_argument(
        "--duration",
        dest="duration_s",
        type=_number(float, 10, 86400),
        help="seconds of faults (default 120)",
    )
    soak.add_argument("--seed", type=int, help="workload and fault draws (default 1)")
    soak.add_argument("--error-rate", type=rate, help="ROIT 5xx share per call (default 0.2)")
    soak.add_argument(
        "--error-status",
        type=lambda t: int(_number(int, 500, 599)(t)),
        help="the 5xx ROIT answers (default 503)",
    )
    soak.add_argument("--rate-limit-rate", type=rate, help="ROIT 429 share (default 0.05)")
    soak.add_argument("--drop-rate", type=rate, help="dropped connections share (default 0.02)")
    soak.add_argument("--spike-rate", type=rate, help="latency spikes share (default 0.05)")
    soak.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    soak.add_argument(
        "--sabotage",
        choices=("drop-published", "skip-hand-back", "lose-status", "store-bypassed"),
        help="break the connector on purpose, to see the soak fail (devstack/soak/sabotage)",
    )
    soak.add_argument(
        "--write-results",
        action="store_true",
        help="write the table to docs/testing-results/soak.md (what `make soak` does)",
    )
    soak.set_defaults(run=run["soak"])

    sign = commands.add_parser("sign", help="sign a reprocess webhook call (prints a curl)")
    sign.add_argument("body", help='the JSON body, e.g. \'{"requestId": "..."}\'')
    sign.add_argument("--url", help="default: the stack's reprocess-webhook")
    sign.add_argument("--secret", type=_webhook_secret, help="whsec_...; default: the stack's")
    sign.add_argument("--send", action="store_true", help="send it and print the answer")
    sign.add_argument("--stack", help=_STACK_HELP)
    sign.set_defaults(run=run["sign"])

    publish = commands.add_parser("publish", help="publish a message to a topic (as the ERP)")
    publish.add_argument("topic")
    publish.add_argument("data")
    publish.add_argument(
        "--attr", action="append", default=[], metavar="KEY=VALUE", type=_attribute
    )
    publish.add_argument("--stack", help=_STACK_HELP)
    publish.set_defaults(run=run["publish"])

    envelope = commands.add_parser("envelope", help="print a Pub/Sub push envelope for DATA")
    envelope.add_argument("data")
    envelope.add_argument("--subscription", default="roit-status-push")
    envelope.add_argument("--project", default="roit-local")
    envelope.set_defaults(run=run["envelope"])

    pull = commands.add_parser("pull", help="show messages of a subscription")
    pull.add_argument("subscription")
    pull.add_argument("--ack", action="store_true", help="acknowledge what was shown")
    pull.add_argument("--stack", help=_STACK_HELP)
    pull.set_defaults(run=run["pull"])
    return top
