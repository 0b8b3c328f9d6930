"""What the go-live tests share: made-up credentials and a fresh project in the stand-in."""

from __future__ import annotations

import json
import uuid

from devstack.processes.secret_client import create_secret
from roitctl.golive.deployed import Deployed
from roitctl.golive.secrets import CREDENTIALS_SECRET, WEBHOOK_SECRET

CLIENT_SECRET = "golive-Cl13nt-s3cret-" + uuid.uuid4().hex[:8]
CREDENTIALS = json.dumps({"client_id": "acme-client", "client_secret": CLIENT_SECRET})
ERP = "serviceAccount:erp@erp-project.iam.gserviceaccount.com"


def new_project(secret_manager) -> str:
    """A fresh project in the stand-in with the two secrets Terraform creates (no value)."""
    name = f"golive-{uuid.uuid4().hex[:8]}"
    for secret in (CREDENTIALS_SECRET, WEBHOOK_SECRET):
        create_secret(secret_manager.client(), name, secret)
    return name


def deployed(**changes: object) -> Deployed:
    base: dict[str, object] = {
        "project": "acme-roit-dev",
        "erp_subscription": "projects/acme-roit-dev/subscriptions/roit-pending-erp",
        "erp_subscribers": [ERP],
        "erp_publishers": [ERP, "group:erp-team@acme.test"],
        "function_uris": {"reprocess-webhook": "https://reprocess-webhook.run.app"},
    }
    return Deployed(**{**base, **changes})  # type: ignore[arg-type]
