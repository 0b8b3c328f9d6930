"""`python -m devstack up | demo | soak | sign | publish | envelope | pull`."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from types import FrameType

import httpx

from devstack import tools
from devstack.processes import ProcessStartError, ToolMissingError
from devstack.stack import LocalStack, StackOptions

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


def cmd_up(args: argparse.Namespace) -> int:
    from devstack.banner import hold

    options = StackOptions(
        seed_documents=args.documents,
        seed_master=args.master,
        seed_received=args.received,
        base_port=args.base_port,
        keep_logs=True,
    )
    with LocalStack(options) as stack:
        hold(stack)
    print(f"stopped: every process ended, every port released (logs: {stack.log_dir}).")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from devstack.demo import run_demo

    return run_demo(documents=args.documents, keep_up=args.keep_up)


def cmd_soak(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from devstack.soak import run_soak
    from devstack.soak_faults import FaultRates
    from devstack.soak_plan import SoakOptions

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
    return run_soak(options)


def cmd_sign(args: argparse.Namespace) -> int:
    state = {} if (args.url and args.secret) else tools.read_state()
    url = args.url or state["functions"]["reprocess-webhook"]
    secret = args.secret or state["webhookSecret"]
    body = args.body
    headers = tools.signed_headers(secret, body)
    if not args.send:
        print(tools.curl_command(url, body, headers))
        return 0
    response = httpx.post(
        url, content=body, headers={"Content-Type": "application/json", **headers}, timeout=60
    )
    print(f"HTTP {response.status_code}\n{response.text}")
    return 0 if response.is_success else 1


def cmd_publish(args: argparse.Namespace) -> int:
    state = tools.read_state()
    attributes = dict(a.split("=", 1) for a in args.attr)
    message_id = tools.publish(
        state["pubsubEmulatorHost"], state["project"], args.topic, args.data, attributes
    )
    print(f"published message {message_id} to {args.topic}")
    return 0


def cmd_envelope(args: argparse.Namespace) -> int:
    project = args.project
    subscription = f"projects/{project}/subscriptions/{args.subscription}"
    print(json.dumps(tools.push_envelope(args.data, subscription=subscription)))
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from devstack.wiring import emulator_clients

    state = tools.read_state()
    publisher, subscriber = emulator_clients(state["pubsubEmulatorHost"])
    path = f"projects/{state['project']}/subscriptions/{args.subscription}"
    try:
        response = subscriber.pull(request={"subscription": path, "max_messages": 50}, timeout=10)
        for received in response.received_messages:
            message = received.message
            print(json.dumps({"messageId": message.message_id,
                              "attributes": dict(message.attributes),
                              "data": message.data.decode(errors="replace")}))  # fmt: skip
        ack_ids = [m.ack_id for m in response.received_messages]
        if ack_ids and args.ack:
            subscriber.acknowledge(request={"subscription": path, "ack_ids": ack_ids})
        elif ack_ids:  # only looked at: back on the subscription at once, not in 60 s
            subscriber.modify_ack_deadline(
                request={"subscription": path, "ack_ids": ack_ids, "ack_deadline_seconds": 0}
            )
        sys.stdout.flush()
        print(f"{len(response.received_messages)} message(s)", file=sys.stderr)
    finally:
        subscriber.close()
        publisher.stop()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start the local stack until Ctrl-C")
    up.add_argument("--documents", type=int, default=50, help="PENDING documents to seed")
    up.add_argument("--master", type=int, default=10, help="PENDING POs and suppliers each")
    up.add_argument("--received", type=int, default=3, help="not-ready documents")
    up.add_argument(
        "--base-port",
        type=int,
        metavar="N",
        help="fixed ports: sandbox N, emulator N+1, Secret Manager N+2, functions N+3..N+8 "
        "(default: free ports, printed at start)",
    )
    up.set_defaults(run=cmd_up)

    demo = commands.add_parser("demo", help="run one whole reconciled cycle")
    demo.add_argument("--documents", type=int, default=200, help="PENDING documents to seed")
    demo.add_argument("--keep-up", action="store_true", help="keep the stack up afterwards")
    demo.set_defaults(run=cmd_demo)

    soak = commands.add_parser(
        "soak", help="the stack under mixed faults for a sustained run, every document reconciled"
    )
    soak.add_argument("--short", action="store_true", help="the small variant `make test` runs")
    soak.add_argument("--documents", type=int, help="documents to seed (default 1900)")
    soak.add_argument("--master", type=int, help="POs and as many suppliers (default 50)")
    soak.add_argument("--received", type=int, help="not-ready documents (default 10)")
    soak.add_argument("--deliveries", type=int, help="delivery messages (default 500)")
    soak.add_argument(
        "--duration", dest="duration_s", type=float, help="seconds of faults (default 120)"
    )
    soak.add_argument("--seed", type=int, help="workload and fault draws (default 1)")
    soak.add_argument("--error-rate", type=float, help="ROIT 5xx share per call (default 0.2)")
    soak.add_argument("--error-status", type=int, help="the 5xx ROIT answers (default 503)")
    soak.add_argument("--rate-limit-rate", type=float, help="ROIT 429 share (default 0.05)")
    soak.add_argument("--drop-rate", type=float, help="dropped connections share (default 0.02)")
    soak.add_argument("--spike-rate", type=float, help="latency spikes share (default 0.05)")
    soak.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    soak.add_argument(
        "--sabotage",
        choices=("drop-published", "skip-hand-back", "lose-status", "store-bypassed"),
        help="break the connector on purpose, to see the soak fail (devstack/sabotage)",
    )
    soak.set_defaults(run=cmd_soak)

    sign = commands.add_parser("sign", help="sign a reprocess webhook call (prints a curl)")
    sign.add_argument("body", help='the JSON body, e.g. \'{"requestId": "..."}\'')
    sign.add_argument("--url", help="default: the running stack's reprocess-webhook")
    sign.add_argument("--secret", help="whsec_...; default: the running stack's")
    sign.add_argument("--send", action="store_true", help="send it and print the answer")
    sign.set_defaults(run=cmd_sign)

    publish = commands.add_parser("publish", help="publish a message to a topic (as the ERP)")
    publish.add_argument("topic")
    publish.add_argument("data")
    publish.add_argument("--attr", action="append", default=[], metavar="KEY=VALUE")
    publish.set_defaults(run=cmd_publish)

    envelope = commands.add_parser("envelope", help="print a Pub/Sub push envelope for DATA")
    envelope.add_argument("data")
    envelope.add_argument("--subscription", default="roit-status-push")
    envelope.add_argument("--project", default="roit-local")
    envelope.set_defaults(run=cmd_envelope)

    pull = commands.add_parser("pull", help="show messages of a subscription")
    pull.add_argument("subscription")
    pull.add_argument("--ack", action="store_true", help="acknowledge what was shown")
    pull.set_defaults(run=cmd_pull)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 0 on success."""
    args = _parser().parse_args(argv)
    _stop_on_signals()
    try:
        return int(args.run(args))
    except (ToolMissingError, ProcessStartError, tools.StackNotRunningError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
