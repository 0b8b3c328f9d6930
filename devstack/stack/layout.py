"""What the local stack is made of: the function deployments, their ports and the options
the stack can vary (names from docs/configuration.md; Pub/Sub settings from terraform/pubsub.tf)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from devstack.processes.factories import free_port
from devstack.processes.firestore_emulator import STORE_SERVICE
from devstack.stack import wiring

__all__ = [
    "CREDENTIALS_SECRET",
    "FUNCTIONS",
    "INTEGRATION_ID",
    "SANDBOX_CLIENT_ID",
    "SANDBOX_CLIENT_SECRET",
    "SERVICES",
    "WEBHOOK_SECRETS_SECRET",
    "FunctionSpec",
    "StackOptions",
    "function_specs",
    "mount_secret",
    "mounted_env",
    "new_webhook_secret",
    "port_layout",
]

CREDENTIALS_SECRET = "roit-api-credentials"
WEBHOOK_SECRETS_SECRET = "roit-webhook-secrets"
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"


@dataclass(frozen=True)
class FunctionSpec:
    """One function deployment: its process label, entry point and own environment."""

    label: str
    target: str
    env: Mapping[str, str] = field(default_factory=dict)


POLL_PENDING = FunctionSpec("poll_pending", "poll_pending")
FUNCTIONS = (
    POLL_PENDING,
    FunctionSpec(
        "update_status",
        "update_status",
        {"ROIT_DEAD_LETTER_TOPIC": wiring.dead_letter_topic(wiring.STATUS_TOPIC)},
    ),
    FunctionSpec(
        "register_delivery",
        "register_delivery",
        {
            "ROIT_DEAD_LETTER_TOPIC": wiring.dead_letter_topic(wiring.DELIVERIES_TOPIC),
            "ROIT_DELIVERIES_TOPIC": wiring.DELIVERIES_TOPIC,
        },
    ),
    FunctionSpec("reprocess", "reprocess", {"ROIT_REPROCESS_CALLER_AUTH": "iam"}),
    FunctionSpec(
        "reprocess-webhook",
        "reprocess",
        {
            "ROIT_REPROCESS_CALLER_AUTH": "webhook",
            "ROIT_WEBHOOK_SECRETS_SECRET": WEBHOOK_SECRETS_SECRET,
        },
    ),
    FunctionSpec("get_attachments", "get_attachments"),
)


SERVICES = ("sandbox", "pubsub-emulator", "secret-manager")


def function_specs(pollers: int = 1) -> tuple[FunctionSpec, ...]:
    """Every function deployment: FUNCTIONS, plus `pollers - 1` more poll_pending ones."""
    extra = tuple(FunctionSpec(f"poll_pending-{n}", "poll_pending") for n in range(2, pollers + 1))
    return (*FUNCTIONS, *extra)


def new_webhook_secret() -> str:
    """A fresh Standard Webhooks secret, `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


@dataclass
class StackOptions:
    """What the stack can vary. Defaults: Terraform's Pub/Sub settings, an empty sandbox."""

    project: str = "roit-local"
    poll_targets: str = "DOCUMENT,PURCHASE_ORDER,SUPPLIER"
    poll_time_budget_s: int = 60
    sandbox_options: dict[str, object] = field(default_factory=dict)
    seed_documents: int = 0
    seed_master: int = 0
    seed_received: int = 0
    retry_min_s: int | None = 10  # None: no retry policy (see devstack/stack/wiring.py)
    retry_max_s: int = 600
    push_max_delivery_attempts: int = 5
    erp_max_delivery_attempts: int = 10
    erp_ack_deadline_s: int = 60
    pollers: int = 1  # poll_pending deployments
    client_secret: str = SANDBOX_CLIENT_SECRET  # accepted by the sandbox, in Secret Manager
    fill_secrets: bool = True  # False: the secrets exist without a value (as after an apply)
    function_env: dict[str, str] = field(default_factory=dict)  # ROIT_* for every function
    idempotency_store: str = "firestore"  # "memory": effects once per instance only
    log_level: str = "INFO"
    log_dir: Path | None = None
    keep_logs: bool = False  # keep a temporary log directory after stop (it is printed)
    base_port: int | None = None  # None: free ports; N: the layout of `port_layout`
    # True: the secrets reach the functions as files (ROIT_*_FILE), as Terraform mounts them;
    # False: by name from the Secret Manager stand-in, through the client library.
    mounted_secrets: bool = False


def port_layout(base_port: int | None, pollers: int = 1) -> dict[str, int]:
    """Process name -> port: `base_port` + SERVICES order then FUNCTIONS order (then the
    extra pollers, then the Firestore emulator), or free ports. Without `base_port`, the sandbox
    and the Secret Manager stand-in get 0: they bind a free port themselves and say which
    (nothing needs their port before they run); the emulators' and the functions' ports are
    chosen up front, as the push subscriptions and a restart on the same port need them."""
    names = [*SERVICES, *(spec.label for spec in function_specs(pollers)), STORE_SERVICE]
    if base_port is None:
        chosen_by_child = ("sandbox", "secret-manager")
        return {name: 0 if name in chosen_by_child else free_port() for name in names}
    return {name: base_port + offset for offset, name in enumerate(names)}


def mounted_env(env: dict[str, str], secrets_dir: Path) -> dict[str, str]:
    """``env`` with each secret named for Secret Manager (``ROIT_*_SECRET``) replaced by the
    file it is mounted as in ``secrets_dir`` (``ROIT_*_FILE``), as Terraform deploys them."""
    mounted = dict(env)
    for setting, secret in (
        ("ROIT_CREDENTIALS", CREDENTIALS_SECRET),
        ("ROIT_WEBHOOK_SECRETS", WEBHOOK_SECRETS_SECRET),
    ):
        if mounted.pop(f"{setting}_SECRET", None):
            mounted[f"{setting}_FILE"] = str(secrets_dir / secret)
    return mounted


def mount_secret(options: StackOptions, secrets_dir: Path, secret: str, value: str) -> None:
    """With ``options.mounted_secrets``, (re)write a secret's file: a new version, as mounted."""
    if options.mounted_secrets:
        secrets_dir.mkdir(mode=0o700, exist_ok=True)
        (secrets_dir / secret).write_text(value)
