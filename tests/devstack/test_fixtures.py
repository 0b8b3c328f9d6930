"""The shared fixtures of tests/conftest.py."""

from __future__ import annotations

import os

import httpx
import pytest

from devstack.testing import require_tool

pytestmark = pytest.mark.integration


def test_require_tool_finds_an_installed_tool():
    assert require_tool("sh", "a POSIX shell").endswith("/sh")


def test_require_tool_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="install the moon CLI"):
        require_tool("no-such-tool-xyz", "the moon CLI")


def test_require_tool_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install the moon CLI"):
        require_tool("no-such-tool-xyz", "the moon CLI")


def test_environ_changes_made_here_are_undone_1():
    os.environ["DEVSTACK_FIXTURE_PROBE"] = "set"
    os.environ.pop("PATH_THAT_DOES_NOT_EXIST", None)


def test_environ_changes_made_here_are_undone_2():
    assert "DEVSTACK_FIXTURE_PROBE" not in os.environ


@pytest.mark.integration
def test_sandbox_fixture_is_reset_and_carries_the_demo_credentials(sandbox):
    assert sandbox.control.stats()["requests"] == 0
    sandbox.control.seed(documents=2)
    token = httpx.post(
        f"{sandbox.url}/auth/api/v1/token",
        json={"clientId": sandbox.client_id, "clientSecret": sandbox.client_secret},
    )
    assert token.status_code == 200
    assert sandbox.integration_id == "9876c5d4-ba32-1098-7654-321f98765432"


@pytest.mark.integration
def test_sandbox_fixture_resets_between_tests(sandbox):
    assert sandbox.control.stats()["requests"] == 0


@pytest.mark.integration
def test_pubsub_emulator_fixture_sets_nothing_globally(pubsub_emulator):
    assert "PUBSUB_EMULATOR_HOST" not in os.environ
    host, _port = pubsub_emulator.host.split(":")
    assert host == "127.0.0.1"
    assert httpx.get(f"http://{pubsub_emulator.host}/").status_code == 200
    assert pubsub_emulator.project == "roit-local"
