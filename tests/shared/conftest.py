"""Fixtures for the shared library's integration tests: a RoitClient pointed at the sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from shared.core.settings import RoitSettings
from shared.roit.client import RoitClient

FAST_RETRIES = {
    "retry_backoff_base_s": 0.02,
    "retry_backoff_max_s": 0.2,
    "retry_max_attempts": 4,
    "retry_budget_s": 20.0,
}


class SleepRecorder:
    """Stands in for time.sleep so tests can see every backoff without waiting it out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """A fresh recorder to pass as a client's ``sleep``."""
    return SleepRecorder()


@pytest.fixture
def make_client(sandbox) -> Iterator[Callable[..., RoitClient]]:
    """Build clients against the sandbox; closes them and restores the sandbox's config."""
    clients: list[RoitClient] = []
    original = sandbox.control.credentials()

    def build(
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        **overrides: object,
    ) -> RoitClient:
        values: dict[str, object] = {
            "base_url": sandbox.url,
            "integration_id": sandbox.integration_id,
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            **FAST_RETRIES,
            **overrides,
        }
        settings = RoitSettings.model_validate(values)
        injected = {"sleep": sleep, "clock": clock}
        client = RoitClient(settings, **{k: v for k, v in injected.items() if v})  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()
    sandbox.control.configure(
        token_lifetime_s=int(original.token_lifetime_s), page_size=int(original.page_size)
    )
