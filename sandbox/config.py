"""The sandbox's settings (the CLI options, also usable in-process)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.auth import AuthScheme
from sandbox.faults import FaultSpec

__all__ = ["DEFAULT_INTEGRATION_ID", "SandboxConfig"]

DEFAULT_INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"


@dataclass
class SandboxConfig:
    """Everything ``python -m sandbox`` can set; the defaults are the CLI's."""

    host: str = "127.0.0.1"
    port: int = 8080
    seed_documents: int = 50
    seed_master: int = 10
    seed_received: int = 3
    token_lifetime_s: int = 28_800
    page_size: int = 50
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    integration_ids: tuple[str, ...] = (DEFAULT_INTEGRATION_ID,)
    auth_scheme: AuthScheme = "raw"
    faults: dict[str, FaultSpec] = field(default_factory=dict)
    random_seed: int | None = None
    log_requests: bool = False

    @property
    def integration_id(self) -> str:
        """The integration seeded data belongs to (the first one configured)."""
        return self.integration_ids[0]
