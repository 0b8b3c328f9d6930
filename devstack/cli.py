"""`python -m devstack up | demo | soak | sign | publish | envelope | pull`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import httpx

from devstack import tools
from devstack.arguments import UsageError, parser
from devstack.processes.factories import ProcessStartError, ToolMissingError
from devstack.processes.ports import LOOPBACK, port_is_open
from devstack.stack import pubsub, state
from devstack.stack.layout import StackOptions, port_layout
from devstack.stack.local import LocalStack

__all__ = ["main"]


def _stop_on_signals() -> None:
    """Turn the first SIGTERM, SIGINT or SIGHUP (a closed terminal) into KeyboardInterrupt, so
    `finally` blocks stop the stack; later ones are ignored, so that a second Ctrl-C, or make
    passing a signal on, cannot cut that clean-up short and leave processes behind.

    SIGINT is set explicitly: a shell starts background jobs with it ignored.
    """
    stopping: list[int] = []

    def handler(signum: int, frame: FrameType | None) -> None:
        if stopping:
            return  # already stopping
        stopping.append(signum)
        raise KeyboardInterrupt

    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, handler)


def _stack(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The state of the stack a command means, and how to name it: `stack NAME (pid N)`."""
    found = state.find_stack(args.stack)
    return found, f"stack {found['name']} (pid {found['pid']})"


def _claim(name: str | None) -> str:
    """The name `up` will run under; fails before anything starts when it is taken."""
    chosen = state.check_name(name) if name else state.default_name()
    if (other := state.running_stacks().get(chosen)) is not None:
        raise state.StackNotFoundError(
            f"a stack named {chosen!r} is already running (pid {other['pid']}); "
            "choose another --name"
        )
    return chosen


def _ports_free(options: StackOptions) -> None:
    """With `--base-port`, every port of the layout must be free before anything starts."""
    if options.base_port is None:
        return
    for label, port in port_layout(options.base_port, options.pollers).items():
        if port_is_open(LOOPBACK, port):
            raise UsageError(f"port {port} ({label}) is in use: choose another --base-port")


def cmd_up(args: argparse.Namespace) -> int:
    from devstack.banner import hold

    name = _claim(args.name)
    options = StackOptions(
        seed_documents=args.documents,
        seed_master=args.master,
        seed_received=args.received,
        base_port=args.base_port,
        keep_logs=True,
        mounted_secrets=args.mounted_secrets,
    )
    _ports_free(options)
    with LocalStack(options) as stack:
        hold(stack, name)
    print(f"stopped: every process ended, every port released (logs: {stack.log_dir}).")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from devstack.demo.main import run_demo

    if args.name and not args.keep_up:
        raise UsageError("--name names the stack --keep-up keeps: add --keep-up, or drop --name")
    name = _claim(args.name) if args.keep_up else None
    return run_demo(documents=args.documents, keep_up=args.keep_up, name=name)


def cmd_soak(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from devstack.soak.faults import FaultRates
    from devstack.soak.main import run_soak
    from devstack.soak.plan import SoakOptions

    base = SoakOptions.short() if args.short else SoakOptions()
    sizes = {
        key: value
        for key in ("documents", "master", "received", "deliveries", "duration_s", "seed")
        if (value := getattr(args, key)) is not None
    }
    rates = {
        key: value
        for key in ("error_rate", "error_status", "rate_limit_rate", "drop_rate", "spike_rate")
        if (value := getattr(args, key)) is not None
    }
    options = replace(
        base,
        **sizes,
        rates=replace(FaultRates(), **rates),
        keep_logs=args.keep_logs,
        sabotage=args.sabotage,
    )
    return run_soak(options, write_results=args.write_results)


def cmd_sign(args: argparse.Namespace) -> int:
    found, which = ({}, "") if (args.url and args.secret) else _stack(args)
    if which:
        print(f"# {which}", file=sys.stderr)
    url = args.url or found["functions"]["reprocess-webhook"]
    secret = args.secret or found["webhookSecret"]
    body = args.body
    headers = tools.signed_headers(secret, body)
    if not args.send:
        print(tools.curl_command(url, body, headers))
        return 0
    try:
        response = httpx.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=60
        )
    except httpx.HTTPError as error:
        raise UsageError(f"cannot call {url}: {error}") from None
    print(f"HTTP {response.status_code}\n{response.text}")
    return 0 if response.is_success else 1


def cmd_publish(args: argparse.Namespace) -> int:
    found, which = _stack(args)
    host, project = found["pubsubEmulatorHost"], found["project"]
    attributes = dict(args.attr)
    message_id = pubsub.publish(host, project, args.topic, args.data, attributes, where=which)
    print(f"published message {message_id} to {args.topic} on {which}")
    return 0


def cmd_envelope(args: argparse.Namespace) -> int:
    project = args.project
    subscription = f"projects/{project}/subscriptions/{args.subscription}"
    print(json.dumps(tools.push_envelope(args.data, subscription=subscription)))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    found, which = _stack(args)
    host, project = found["pubsubEmulatorHost"], found["project"]
    shown = pubsub.pull(host, project, args.subscription, ack=args.ack, where=which)
    for message in shown:
        print(json.dumps({"messageId": message.message_id, "attributes": message.attributes,
                          "data": message.data}))  # fmt: skip
    sys.stdout.flush()
    print(f"{len(shown)} message(s) from {args.subscription} on {which}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 0 on success, 2 for a user's mistake (one line)."""
    commands = {
        "up": cmd_up,
        "demo": cmd_demo,
        "soak": cmd_soak,
        "sign": cmd_sign,
        "publish": cmd_publish,
        "envelope": cmd_envelope,
        "pull": cmd_pull,
    }
    args = parser(commands, __doc__).parse_args(argv)
    _stop_on_signals()
    try:
        return int(args.run(args))
    except (
        ToolMissingError,
        ProcessStartError,
        state.StackNotFoundError,
        pubsub.PubSubCallError,
        UsageError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
