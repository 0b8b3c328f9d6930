"""The secret store's failures are its own (issue 22 §3): a version that cannot be used is a
configuration error naming the secret and the setting; Secret Manager unavailable, hanging or
answering garbage is named as such, within a short deadline of its own, and never blamed on
ROIT; a payload that is not UTF-8 is a malformed secret. The real client library against the
Secret Manager stand-in (or a loopback server that misbehaves), the real functions."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.core.errors import Failure
from shared.core.secrets import SecretAccessError, SecretManagerProvider
from shared.entry.failures import http_answer

pytestmark = pytest.mark.integration


def _name() -> str:
    return f"creds-{uuid.uuid4().hex[:8]}"


def _credentials(sandbox) -> str:
    return json.dumps({"client_id": sandbox.client_id, "client_secret": sandbox.client_secret})


class _Misbehaving(BaseHTTPRequestHandler):
    """A Secret Manager that answers garbage (``mode`` on the server)."""

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "hang":
            self.server.release.wait(30)  # type: ignore[attr-defined]
            return
        body, status, kind = {
            "html": (b"<html>maintenance</html>", 200, "text/html"),
            "json-garbage": (b'{"payload": 42}', 200, "application/json"),
            "unavailable": (
                b'{"error":{"code":503,"status":"UNAVAILABLE"}}',
                503,
                "application/json",
            ),
        }[mode]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def misbehaving() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    server.daemon_threads = True
    server.release = threading.Event()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# ----------------------------------------------------------------------------- the provider


@pytest.mark.parametrize("state", ["disable", "destroy"])
def test_a_disabled_or_destroyed_version_is_a_configuration_error(secret_manager, state) -> None:
    name = _name()
    version = secret_manager.put(name, "value")
    getattr(secret_manager.client(), f"{state}_secret_version")(request={"name": version})
    provider = SecretManagerProvider(
        project=secret_manager.project, endpoint=secret_manager.endpoint
    )
    with pytest.raises(SecretAccessError) as caught:
        provider.get(name, setting="ROIT_CREDENTIALS_SECRET")
    assert caught.value.failure is Failure.CONFIGURATION
    assert name in caught.value.message and caught.value.setting == "ROIT_CREDENTIALS_SECRET"
    assert http_answer(caught.value).code == "misconfigured"


def test_a_payload_that_is_not_utf8_is_a_malformed_secret(secret_manager) -> None:
    name = _name()
    secret_manager.put(name, b"\xff\xfe\x00bad")
    provider = SecretManagerProvider(
        project=secret_manager.project, endpoint=secret_manager.endpoint
    )
    with pytest.raises(SecretAccessError, match="malformed") as caught:
        provider.get(name)
    assert caught.value.failure is Failure.CONFIGURATION


@pytest.mark.timeout(30)
@pytest.mark.parametrize("mode", ["refused", "hang", "html", "json-garbage", "unavailable"])
def test_secret_manager_failing_is_named_as_such_within_its_own_deadline(misbehaving, mode) -> None:
    endpoint = (
        _closed_port() if mode == "refused" else f"http://127.0.0.1:{misbehaving.server_port}"
    )
    misbehaving.mode = mode  # type: ignore[attr-defined]
    provider = SecretManagerProvider(project="p", endpoint=endpoint)
    started = time.monotonic()
    with pytest.raises(SecretAccessError) as caught:
        provider.get("creds", setting="ROIT_CREDENTIALS_SECRET")
    print(f"{mode}: {time.monotonic() - started:.2f} s")  # the report's figure, not asserted
    assert caught.value.failure is Failure.SECRET_STORE, caught.value.message
    assert "Secret Manager" in caught.value.message and "ROIT" not in caught.value.message
    answer = http_answer(caught.value)
    assert (answer.status, answer.code) == (503, "secret_store_unavailable")


# ----------------------------------------------------------------------------- the functions


def _env(base_env, secret_manager, name: str, endpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in base_env.items() if k not in ("ROIT_CLIENT_ID", "ROIT_CLIENT_SECRET")}
    return {**env, "ROIT_CREDENTIALS_SECRET": name, "ROIT_GCP_PROJECT": secret_manager.project,
            "ROIT_SECRET_MANAGER_ENDPOINT": endpoint or secret_manager.endpoint,
            "ROIT_REPROCESS_CALLER_AUTH": "iam"}  # fmt: skip


def test_a_disabled_credentials_version_is_503_misconfigured_and_one_config_error(
    sandbox, load_function, base_env, secret_manager, clean_error, logged
) -> None:
    name = _name()
    version = secret_manager.put(name, _credentials(sandbox))
    secret_manager.client().disable_secret_version(request={"name": version})
    fn = load_function("reprocess", _env(base_env, secret_manager, name))
    logged()  # what the cold start logged is not this request's
    body = clean_error(fn.post("/", json={"requestId": "r-1"}), 503)
    assert body["error"]["code"] == "misconfigured"
    errors = [line for line in logged() if line["severity"] == "ERROR"]
    assert len(errors) == 1 and errors[0]["event"] == "config_error"
    assert errors[0]["setting"] == "ROIT_CREDENTIALS_SECRET" and name in errors[0]["reason"]


def test_a_destroyed_credentials_version_makes_a_push_retry_not_dead_letter(
    sandbox, load_function, base_env, secret_manager, push_body
) -> None:
    name = _name()
    version = secret_manager.put(name, _credentials(sandbox))
    secret_manager.client().destroy_secret_version(request={"name": version})
    env = {**_env(base_env, secret_manager, name), "ROIT_DEAD_LETTER_TOPIC": "roit-never-used"}
    fn = load_function("update_status", env)  # a retry writes no dead letter
    update = {"requestId": "r-1", "reference": "ref", "status": "DONE", "message": "posted"}
    answer = fn.post("/", json=push_body(update))
    assert answer.status_code == 503
    assert answer.get_json() == {"status": "retry", "error": "configuration"}


@pytest.mark.timeout(30)
def test_a_hanging_secret_manager_is_503_secret_store_and_roit_is_never_blamed(
    sandbox, load_function, base_env, secret_manager, misbehaving, clean_error, logged
) -> None:
    misbehaving.mode = "hang"  # type: ignore[attr-defined]
    endpoint = f"http://127.0.0.1:{misbehaving.server_port}"
    fn = load_function("reprocess", _env(base_env, secret_manager, "creds", endpoint))
    logged()

    def roit_calls() -> dict:
        return {k: v for k, v in sandbox.control.stats()["calls"].items() if k != "_sandbox"}

    before = roit_calls()
    started = time.monotonic()
    body = clean_error(fn.post("/", json={"requestId": "r-1"}), 503)
    print(f"hanging Secret Manager answered in {time.monotonic() - started:.2f} s")
    assert body["error"]["code"] == "secret_store_unavailable"
    assert "ROIT" not in body["error"]["message"]
    lines = [line for line in logged() if line["severity"] in ("ERROR", "WARNING")]
    failures = [line for line in lines if line["message"] != "request served"]  # access log
    assert [line.get("event") for line in failures] == ["secret_store_unavailable"]
    assert "Secret Manager" in failures[0]["reason"]
    assert roit_calls() == before  # ROIT was never called


def test_the_poller_stops_on_secret_manager_failing_and_says_so(
    sandbox, poller, secret_manager, misbehaving
) -> None:
    misbehaving.mode = "html"  # type: ignore[attr-defined]
    sandbox.control.reset(documents=3)
    env = _env({}, secret_manager, "creds", f"http://127.0.0.1:{misbehaving.server_port}")
    # the credentials come from the secret only (one source: not also from the environment)
    fn = poller(
        ROIT_POLL_TARGETS="DOCUMENT,SUPPLIER", ROIT_CLIENT_ID=None, ROIT_CLIENT_SECRET=None, **env
    )
    response = fn.post("/", json={})
    summary = response.get_json()
    assert (response.status_code, summary["outcome"]) == (503, "secret_store_failed")
    stops = [t["stopped"] for t in summary["targets"]]
    assert stops[0] == "secret_store_unavailable"
    assert set(stops) <= {"secret_store_unavailable", "skipped"}
    assert "pending" not in sandbox.control.stats()["calls"]
