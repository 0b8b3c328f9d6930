"""``python -m sandbox``: run the ROIT sandbox until SIGTERM / SIGINT."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from sandbox.config import DEFAULT_INTEGRATION_ID, DEFAULT_TOKEN_PATH, TOKEN_SHAPES, SandboxConfig
from sandbox.faults.board import FaultSpec, parse_fault_option
from sandbox.server import SandboxServer


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A runnable, stateful stand-in for ROIT's External System Integration API.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    p.add_argument("--seed", type=int, default=50, metavar="N", help="PENDING documents")
    p.add_argument(
        "--seed-master",
        type=int,
        default=10,
        metavar="N",
        help="PENDING purchase orders and as many suppliers",
    )
    p.add_argument(
        "--seed-received",
        type=int,
        default=3,
        metavar="N",
        help="documents in RECEIVED (not ready: attachs answers 409)",
    )
    p.add_argument("--token-lifetime", type=int, default=28_800, metavar="SECONDS")
    p.add_argument(
        "--page-size", type=int, default=50, help="max entities one pending call returns"
    )
    p.add_argument("--client-id", default="sandbox-client")
    p.add_argument("--client-secret", default="sandbox-secret")
    p.add_argument(
        "--integration-id",
        action="append",
        dest="integration_ids",
        metavar="ID",
        help=f"accepted integrationId, repeatable (default {DEFAULT_INTEGRATION_ID})",
    )
    p.add_argument("--auth-scheme", choices=("raw", "bearer"), default="raw")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="ENDPOINT:key=value,... e.g. pending:error_rate=0.2,error_status=503 (repeatable)",
    )
    p.add_argument(
        "--token-shape",
        choices=TOKEN_SHAPES,
        default="roit-json",
        help="how the token endpoint is called and answers (see sandbox/README.md)",
    )
    p.add_argument(
        "--token-required-field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a field every token request must carry with that value, e.g. scope=roit.integration",
    )
    p.add_argument(
        "--opaque-tokens", action="store_true", help="issue opaque tokens instead of JWTs"
    )
    p.add_argument("--token-path", default=DEFAULT_TOKEN_PATH, help="the token endpoint's path")
    p.add_argument(
        "--gzip", action="store_true", help="gzip answers when the client's Accept-Encoding allows"
    )
    p.add_argument("--random-seed", type=int, default=None, help="reproducible data and faults")
    p.add_argument("--log-requests", action="store_true", help="log every request to stderr")
    return p


def _faults(options: Sequence[str], parser: argparse.ArgumentParser) -> dict[str, FaultSpec]:
    merged: dict[str, FaultSpec] = {}
    for option in options:
        try:
            endpoint, spec = parse_fault_option(option)
        except ValueError as exc:
            parser.error(f"--fault {option!r}: {exc}")
        previous = merged.get(endpoint)
        if previous is not None:
            spec = previous.model_copy(update=spec.model_dump(exclude_unset=True))
        merged[endpoint] = spec
    return merged


def _required_fields(options: Sequence[str], parser: argparse.ArgumentParser) -> dict[str, str]:
    fields: dict[str, str] = {}
    for option in options:
        name, eq, value = option.partition("=")
        if not eq or not name.strip():
            parser.error(f"--token-required-field {option!r}: expected NAME=VALUE")
        fields[name.strip()] = value
    return fields


def _config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> SandboxConfig:
    """Raises: ValueError for settings :class:`SandboxConfig` refuses."""
    return SandboxConfig(
        host=args.host,
        port=args.port,
        seed_documents=args.seed,
        seed_master=args.seed_master,
        seed_received=args.seed_received,
        token_lifetime_s=args.token_lifetime,
        page_size=args.page_size,
        client_id=args.client_id,
        client_secret=args.client_secret,
        integration_ids=tuple(args.integration_ids or (DEFAULT_INTEGRATION_ID,)),
        auth_scheme=args.auth_scheme,
        faults=_faults(args.fault, parser),
        random_seed=args.random_seed,
        log_requests=args.log_requests,
        token_shape=args.token_shape,
        token_required_fields=_required_fields(args.token_required_field, parser),
        opaque_tokens=args.opaque_tokens,
        gzip=args.gzip,
        token_path=args.token_path,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, start the server, print its URL, wait for a signal."""
    parser = _parser()
    args = parser.parse_args(argv)
    for name in ("seed", "seed_master", "seed_received", "port"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must be >= 0")
    if args.token_lifetime < 1 or args.page_size < 1:
        parser.error("--token-lifetime and --page-size must be >= 1")
    try:
        config = _config(args, parser)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        server = SandboxServer(config).start()
    except OSError as exc:
        print(f"sandbox: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
        return 1
    print(f"ROIT sandbox listening on {server.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("ROIT sandbox stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
