"""The Firestore client is deployed with, and loaded by, only the functions that use the store,
and only on first use: a cold start never imports it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STORE_FUNCTIONS = {"poll_pending", "update_status", "register_delivery", "reprocess"}
ENV = {
    "ROIT_BASE_URL": "http://127.0.0.1:9",
    "ROIT_INTEGRATION_ID": "integration",
    "ROIT_CLIENT_ID": "id",
    "ROIT_CLIENT_SECRET": "secret",
    "ROIT_GCP_PROJECT": "roit-local",
    "ROIT_PENDING_TOPIC": "roit-pending",
    "ROIT_DEAD_LETTER_TOPIC": "roit-dead-letter",
    "ROIT_WEBHOOK_SECRETS": "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode(),
    "ROIT_IDEMPOTENCY_STORE": "firestore",
}
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("main", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps({
    "firestore": any(m.startswith("google.cloud.firestore") for m in sys.modules),
    "store": type(getattr(module, "STORE", None)).__name__,
}))
"""


def _requirements(function: str) -> str:
    return (REPO / "functions" / function / "requirements.txt").read_text()


@pytest.mark.parametrize("function", sorted(p.name for p in (REPO / "functions").iterdir()))
def test_only_the_store_functions_deploy_the_firestore_client(function: str) -> None:
    declared = "google-cloud-firestore==" in _requirements(function)
    assert declared == (function in STORE_FUNCTIONS), function


@pytest.mark.parametrize("function", sorted(STORE_FUNCTIONS))
def test_a_cold_start_with_the_store_configured_never_imports_firestore(function: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROIT_")} | ENV
    main = REPO / "functions" / function / "main.py"
    answer = subprocess.run(
        [sys.executable, "-c", PROBE, str(main)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(answer.stdout.strip().splitlines()[-1])
    assert seen == {"firestore": False, "store": "FirestoreStore"}
