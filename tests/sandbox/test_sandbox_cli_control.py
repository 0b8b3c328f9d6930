"""The CLI (options, signals) and the control API / SandboxControl client."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

import httpx
import pytest
from sandbox_helpers import INTEGRATION_ID, RoitClient, SandboxProcess

from sandbox.config import SandboxConfig
from sandbox.control import SandboxControl, SandboxControlError
from sandbox.server import SandboxServer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_clean_shutdown_on_signal(start_sandbox: Callable[..., SandboxProcess], sig: int) -> None:
    proc = start_sandbox("--seed", "1")
    keep_alive = httpx.Client(base_url=proc.url)
    assert keep_alive.get("/_sandbox/health").status_code == 200  # an open keep-alive connection
    assert proc.stop(sig) == 0
    assert proc.process.stdout is not None
    assert "ROIT sandbox stopped" in proc.process.stdout.read()
    with pytest.raises(httpx.TransportError):
        httpx.get(proc.url + "/_sandbox/health", timeout=2)
    keep_alive.close()


def test_cli_options_shape_the_sandbox(start_sandbox: Callable[..., SandboxProcess]) -> None:
    other = "11111111-2222-3333-4444-555555555555"
    proc = start_sandbox(
        "--seed",
        "9",
        "--seed-master",
        "2",
        "--seed-received",
        "1",
        "--page-size",
        "4",
        "--client-id",
        "my-client",
        "--client-secret",
        "my-secret",
        "--integration-id",
        INTEGRATION_ID,
        "--integration-id",
        other,
    )
    creds = proc.control.credentials()
    assert (creds.client_id, creds.client_secret) == ("my-client", "my-secret")
    assert creds.integration_ids == (INTEGRATION_ID, other)
    assert creds.page_size == 4 and creds.token_lifetime_s == 28_800
    stats = proc.control.stats()
    assert stats["requests"] == 9 + 2 * 2 + 1
    assert stats["requestsByStatus"]["RECEIVED"] == 1
    token_body = {"clientId": "my-client", "clientSecret": "my-secret"}
    token = httpx.post(creds.token_url, json=token_body).json()["data"]["token"]
    client = RoitClient(proc.url, token=token)
    assert len(client.pending().json()["data"]) == 4
    # the second integration is known (200, empty) and can be seeded separately
    body = {"entity": "DOCUMENT", "integrationId": other}
    url = "/ibs-core-entrypoint/api/v1/entrypoint/requests/pending"
    assert client.post(url, body).json()["data"] == []
    proc.control.seed(documents=2, integration_id=other)
    taken = client.post(url, body).json()["data"]
    assert len(taken) == 2 and {r["integrationId"] for r in taken} == {other}
    client.close()


def test_random_seed_makes_data_reproducible(
    start_sandbox: Callable[..., SandboxProcess],
) -> None:
    first = start_sandbox("--seed", "5", "--random-seed", "123")
    second = start_sandbox("--seed", "5", "--random-seed", "123")
    third = start_sandbox("--seed", "5", "--random-seed", "124")

    def documents(proc: SandboxProcess) -> list[object]:
        return [
            proc.control.request(s["requestId"])["record"]["document"]
            for s in proc.control.requests()
        ]

    assert [s["requestId"] for s in first.control.requests()] == [
        s["requestId"] for s in second.control.requests()
    ]
    assert documents(first) == documents(second)
    assert documents(first) != documents(third)


def test_port_already_in_use_fails_cleanly(live_sandbox: SandboxProcess) -> None:
    import subprocess
    import sys

    port = live_sandbox.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr


def test_keep_alive_reuses_one_connection(roit: RoitClient) -> None:
    peers = set()
    with httpx.Client(base_url=roit.url) as http:
        for _ in range(5):
            response = http.get("/_sandbox/health", extensions={})
            assert response.status_code == 200
            assert response.http_version == "HTTP/1.1"
            stream = response.extensions["network_stream"]
            peers.add(stream.get_extra_info("client_addr"))
    assert len(peers) == 1 and None not in peers


def test_control_client_round_trip(sb: SandboxProcess, roit: RoitClient) -> None:
    control = sb.control
    assert control.health()["status"] == "ok"
    ids = control.reset(documents=4, master=1, received=2)
    assert len(ids) == 4 + 2 + 2
    assert len(control.requests(status="RECEIVED")) == 2
    assert len(control.requests(entity="SUPPLIER")) == 1
    assert len(control.requests(limit=3)) == 3
    nfe = control.seed(documents=3, types=["NFE"])
    assert {s["requestId"] for s in control.requests(type="NFE")} >= set(nfe)
    detail = control.request(nfe[0])
    assert detail["status"] == "PENDING" and detail["record"]["type"] == "NFE"
    assert control.configure(page_size=2)["page_size"] == 2
    assert len(roit.pending().json()["data"]) == 2
    control.configure(token_lifetime_s=60)
    token = roit.new_token()
    assert (
        roit.http.post(
            "/auth/api/v1/token",
            json={"clientId": "sandbox-client", "clientSecret": "sandbox-secret"},
        ).json()["data"]["expiresIn"]
        == 60
    )
    control.revoke_tokens()
    assert RoitClient(roit.url, token=token).pending().status_code == 401
    with pytest.raises(SandboxControlError) as info:
        control.request("unknown")
    assert info.value.status_code == 404


def test_in_process_server_on_a_free_port() -> None:
    with SandboxServer(SandboxConfig(port=0, seed_documents=3)) as server:
        assert server.port > 0 and server.url.endswith(f":{server.port}")
        with SandboxControl(server.url) as control:
            assert control.stats()["requestsByStatus"]["PENDING"] == 3 + 10 * 2
        port = server.port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
