"""The partner guide's signing recipes, run as written, sign as the reference library verifies.

The Python and the curl + openssl recipes of docs/webhook.md are taken from the page (the fenced
block after ``<!-- recipe: NAME -->``) and run against a loopback server that checks each call
with ``standardwebhooks`` (the Python reference library): the signature math of the shell recipe
is proved against the library's, and a wrong secret is refused.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import standardwebhooks

from devstack.testing import require_tool

pytestmark = pytest.mark.integration  # curl and a server over loopback

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "docs" / "webhook.md").read_text(encoding="utf-8")


def _recipe(name: str) -> str:
    match = re.search(rf"<!-- recipe: {name} -->\n```\w+\n(.*?)\n```", PAGE, re.DOTALL)
    assert match, f"docs/webhook.md has no '{name}' recipe"
    return match.group(1)


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class Receiver:
    """A loopback endpoint that verifies each call with the reference library."""

    secret: str
    url: str = ""
    results: list[tuple[bool, bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(secret=_secret())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                standardwebhooks.Webhook(state.secret).verify(body, dict(self.headers))
                verified = True
            except standardwebhooks.WebhookVerificationError:
                verified = False
            state.results.append((verified, body))
            self.send_response(200 if verified else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _run(command: list[str], receiver: Receiver, secret: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WEBHOOK_SECRET": secret, "WEBHOOK_URL": receiver.url}
    env.pop("http_proxy", None)
    env.pop("HTTP_PROXY", None)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)


def _shell(recipe: str) -> list[str]:
    for tool in ("bash", "curl", "openssl", "od"):
        require_tool(tool, f"`{tool}` (the partner guide's curl + openssl recipe)")
    return ["bash", "-euo", "pipefail", "-c", recipe]


@pytest.mark.parametrize("name", ["curl", "python"])
def test_the_recipe_signs_as_the_reference_library_verifies(name: str, receiver: Receiver) -> None:
    recipe = _recipe(name)
    command = _shell(recipe) if name == "curl" else [sys.executable, "-c", recipe]
    done = _run(command, receiver, receiver.secret)
    assert done.returncode == 0, done.stderr
    assert len(receiver.results) == 1
    verified, body = receiver.results[0]
    assert verified, f"the {name} recipe's signature was refused by standardwebhooks"
    assert b'"requestId"' in body


@pytest.mark.parametrize("name", ["curl", "python"])
def test_a_call_signed_with_another_secret_is_refused(name: str, receiver: Receiver) -> None:
    recipe = _recipe(name)
    command = _shell(recipe) if name == "curl" else [sys.executable, "-c", recipe]
    _run(command, receiver, _secret())
    assert [verified for verified, _ in receiver.results] == [False]
