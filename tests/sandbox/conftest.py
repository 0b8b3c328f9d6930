"""Fixtures for the sandbox's tests: the sandbox as a real process over loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sandbox_helpers import RoitClient, SandboxProcess, launch_sandbox


@pytest.fixture
def start_sandbox() -> Iterator[Callable[..., SandboxProcess]]:
    """Factory: start a sandbox with extra CLI options; all are stopped after the test."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        proc = launch_sandbox(*args)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture(scope="module")
def live_sandbox() -> Iterator[SandboxProcess]:
    """One sandbox process per test module (empty seed, reproducible randomness)."""
    proc = launch_sandbox("--seed", "0", "--seed-master", "0", "--seed-received", "0")
    yield proc
    proc.stop()


@pytest.fixture
def sb(live_sandbox: SandboxProcess) -> SandboxProcess:
    """The module's sandbox, reset (state, counters, faults, config) before the test."""
    live_sandbox.control.reset()
    live_sandbox.control.configure(
        token_lifetime_s=28_800,
        page_size=50,
        token_shape="roit-json",
        token_required_fields={},
        opaque_tokens=False,
        gzip=False,
        token_path="/auth/api/v1/token",
    )
    return live_sandbox


@pytest.fixture
def roit(sb: SandboxProcess) -> Iterator[RoitClient]:
    """A ROIT client with a fresh token for the module's (reset) sandbox."""
    client = RoitClient(sb.url)
    yield client
    client.close()
