"""Each staged package, installed into a fresh venv from ONLY its own requirements.txt, starts
under functions-framework and answers a request (get_attachments: a real one, against the ROIT
sandbox; the others: a 4xx for bad input, which proves the package and its imports load).

Venvs are cached in build/packaging-venvs/, keyed by the requirements file's hash (a venv is
only reused for the very same requirements), built in parallel; pip's cache keeps it fast.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from devstack.processes.managed import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
VENVS = REPO_ROOT / "build" / "packaging-venvs"
INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"

pytestmark = [pytest.mark.integration, pytest.mark.timeout(1200)]


def _packaging():  # scripts/ is not a package
    if "package_functions" in sys.modules:
        return sys.modules["package_functions"]
    path = REPO_ROOT / "scripts" / "package_functions.py"
    spec = importlib.util.spec_from_file_location("package_functions", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["package_functions"] = module
    spec.loader.exec_module(module)
    return module


def _venv_for(staged: Path) -> Path:
    requirements = (staged / "requirements.txt").read_bytes()
    key = hashlib.sha256(requirements).hexdigest()[:16]
    target = VENVS / f"{staged.name}-{key}"
    stamp = target / ".installed"
    if stamp.exists():
        return target
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    result = subprocess.run(
        [
            str(target / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(staged / "requirements.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{staged.name}: pip install failed:\n{result.stderr[-3000:]}")
    stamp.touch()
    return target


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """name -> (staged tree, venv with only its requirements installed)."""
    packaging = _packaging()
    names = packaging.discover_functions()
    assert names, "no function folders under functions/"
    built = packaging.package_functions(names, tmp_path_factory.mktemp("functions"))
    with ThreadPoolExecutor(max_workers=3) as pool:
        venvs = list(pool.map(_venv_for, [p.staged_dir for p in built]))
    return {p.name: (p.staged_dir, v) for p, v in zip(built, venvs, strict=True)}


@pytest.fixture
def serve(packages: dict[str, tuple[Path, Path]], sandbox, tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str, **extra_env: str) -> str:
        staged, environment = packages[name]
        port = free_port()
        log = tmp_path / f"{name}.log"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", ""),
            "ROIT_BASE_URL": sandbox.url,
            "ROIT_INTEGRATION_ID": INTEGRATION_ID,
            "ROIT_CLIENT_ID": "sandbox-client",
            "ROIT_CLIENT_SECRET": "sandbox-secret",
            "ROIT_GCP_PROJECT": "roit-local",
            **extra_env,
        }
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(environment / "bin" / "functions-framework"),
                    "--target",
                    name,
                    "--source",
                    str(staged / "main.py"),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                ],
                cwd=staged,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"{name} exited {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return url
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"{name} did not listen within 60 s:\n{log.read_text()[-3000:]}")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _sandbox_request_id(sandbox_url: str) -> str:
    """Seed one document in the (freshly reset) sandbox; its requestId."""
    response = httpx.post(f"{sandbox_url}/_sandbox/seed", json={"documents": 1}, timeout=10)
    response.raise_for_status()
    body = response.json()
    body = body.get("data", body) if "requestIds" not in body else body
    assert body["requestIds"], f"the sandbox seeded nothing: {response.text[:500]}"
    return str(body["requestIds"][0])


def test_get_attachments_serves_a_sandbox_request(serve, sandbox) -> None:
    url = serve("get_attachments")
    request_id = _sandbox_request_id(sandbox.url)
    response = httpx.post(url, json={"requestId": request_id}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["requestId"] == request_id
    assert isinstance(body["attachments"], list) and body["attachments"]


@pytest.mark.parametrize(
    ("name", "env"),
    [
        (
            "poll_pending",
            {
                "ROIT_PENDING_TOPIC": "projects/roit-local/topics/roit-pending",
                "ROIT_DEAD_LETTER_TOPIC": "projects/roit-local/topics/roit-pending-dead-letter",
            },
        ),
        (
            "update_status",
            {"ROIT_DEAD_LETTER_TOPIC": "projects/roit-local/topics/roit-status-dead-letter"},
        ),
        (
            "register_delivery",
            {"ROIT_DEAD_LETTER_TOPIC": "projects/roit-local/topics/roit-deliveries-dead-letter"},
        ),
        ("reprocess", {"ROIT_REPROCESS_CALLER_AUTH": "iam"}),
        ("get_attachments", {}),
    ],
)
def test_package_starts_and_rejects_bad_input(serve, name: str, env: dict[str, str]) -> None:
    url = serve(name, **env)
    response = httpx.post(url, json=[1, 2, 3], timeout=60)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert "Traceback" not in response.text
