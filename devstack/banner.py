"""What `python -m devstack up` prints: every URL and a ready-to-paste command per function."""

from __future__ import annotations

import json
import os
import shlex
import sys
import threading
from pathlib import Path

from devstack.processes.factories import REPO_ROOT
from devstack.stack import state, wiring
from devstack.stack.layout import CREDENTIALS_SECRET, WEBHOOK_SECRETS_SECRET
from devstack.stack.local import LocalStack
from devstack.tools import curl_command

__all__ = ["banner", "hold"]


def _python() -> str:
    """How to call this interpreter from the repository root (`.venv/bin/python`)."""
    try:
        return str(Path(sys.executable).relative_to(REPO_ROOT))
    except ValueError:
        return "python"


PY = f"{_python()} -m devstack"
ROITCTL = f"{_python()} -m roitctl"
SAMPLE_STATUS = {
    "requestId": "<requestId>",
    "reference": "<reference>",
    "status": "DONE",
    "message": "Integrated",
}
SAMPLE_DELIVERY = {
    "entity": "COST_CENTER",
    "data": [{"code": "CC0001", "description": "Headquarters"}],
}


def banner(stack: LocalStack, name: str) -> str:
    """The text shown once the stack is up (as stack `name`)."""
    sandbox = stack.sandbox_url
    url = stack.function_url
    project = stack.options.project
    poll_env = shlex.quote(str(stack.env_file("poll_pending")))
    deliveries_dl = wiring.dead_letter_subscription(wiring.DELIVERIES_TOPIC)
    find_id = (
        f"curl -sS '{sandbox}/_sandbox/requests?status=PROCESSING&limit=1'   "
        "# once polled: a requestId and its reference"
    )
    lines = [
        f"ROIT connector local stack {name!r} is up (pid {os.getpid()}).",
        "",
        f"  ROIT sandbox            {sandbox}   (inspection: {sandbox}/_sandbox/stats)",
        f"  Pub/Sub emulator        {stack.pubsub_host}   (project {project})",
        f"  Secret Manager stand-in {stack.secret_manager_endpoint}   "
        f"(secrets {CREDENTIALS_SECRET}, {WEBHOOK_SECRETS_SECRET})",
        f"  logs                    {stack.log_dir}",
        "",
        "  topics: "
        + ", ".join(t for t in wiring.TOPICS)
        + " (+ each -dead-letter topic and its -dead-letter-sub)",
        f"  ERP pull subscription: {wiring.ERP_SUBSCRIPTION}; push: "
        + ", ".join(f"{p.name} -> {p.function}" for p in wiring.PUSH_SUBSCRIPTIONS),
        "",
        "Functions (plain curl: locally nothing checks IAM; run commands from the repo root):",
        "",
        f"poll_pending        {url('poll_pending')}   (what Cloud Scheduler calls)",
        "  " + curl_command(url("poll_pending"), "{}"),
        "",
        f"update_status       {url('update_status')}   (pushed from roit-status-push)",
        f"  {find_id}",
        "  # as the ERP does: publish to the topic, Pub/Sub pushes it to the function",
        f"  {PY} publish {wiring.STATUS_TOPIC} {shlex.quote(json.dumps(SAMPLE_STATUS))}",
        "  # or call the function directly with a push envelope",
        f"  {PY} envelope --subscription roit-status-push "
        f"{shlex.quote(json.dumps(SAMPLE_STATUS))} | curl -sS -X POST {url('update_status')} "
        "-H 'Content-Type: application/json' --data-binary @-",
        "",
        f"register_delivery   {url('register_delivery')}   (pushed from roit-deliveries-push)",
        f"  {PY} publish {wiring.DELIVERIES_TOPIC} {shlex.quote(json.dumps(SAMPLE_DELIVERY))}",
        "",
        f"reprocess           {url('reprocess')}   (team, ROIT_REPROCESS_CALLER_AUTH=iam)",
        "  " + curl_command(url("reprocess"), '{"requestId": "<requestId>"}'),
        "",
        f"reprocess-webhook   {url('reprocess-webhook')}   (partner webhook, signature required)",
        "  # prints a signed curl (Standard Webhooks headers); add --send to send it",
        f'  {PY} sign \'{{"requestId": "<requestId>"}}\'',
        "",
        f"get_attachments     {url('get_attachments')}",
        "  " + curl_command(url("get_attachments"), '{"requestId": "<requestId>"}'),
        "",
        "Operator CLI (roitctl) against this stack (each function's environment is in its "
        "env file):",
        f"  {ROITCTL} doctor --env-file {poll_env}",
        f"  {ROITCTL} dead-letters list --env-file {poll_env}",
        f"  {ROITCTL} dead-letters replay {deliveries_dl} --env-file {poll_env} --dry-run",
        f"  # raw messages: {PY} pull {deliveries_dl}",
        "",
        f"With several stacks running, name this one: --stack {name} or {state.STACK_ENV}={name}.",
        "Press Ctrl-C to stop everything.",
    ]
    return "\n".join(lines)


def hold(stack: LocalStack, name: str) -> None:
    """Print the banner and keep the stack up until Ctrl-C (or SIGTERM), sharing its state
    (as stack `name`) with `python -m devstack sign / publish / pull` meanwhile.

    Raises:
        StackNotFoundError: another running stack has that name.
    """
    pid = os.getpid()
    state.write_state(name, {**stack.describe(), "webhookSecret": stack.webhook_secret})
    try:
        print(banner(stack, name), flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopping...", flush=True)
    finally:
        state.remove_state(name, owner_pid=pid)
