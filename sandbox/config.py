"""The sandbox's settings (the CLI options, also usable in-process)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from sandbox.faults.board import FaultSpec
from sandbox.state.tokens import AuthScheme

__all__ = [
    "DEFAULT_INTEGRATION_ID",
    "DEFAULT_TOKEN_PATH",
    "TOKEN_SHAPES",
    "SandboxConfig",
    "TokenShape",
    "check_token_path",
    "check_token_required_fields",
]

DEFAULT_INTEGRATION_ID = "9876c5d4-ba32-1098-7654-321f98765432"
DEFAULT_TOKEN_PATH = "/auth/api/v1/token"
TokenShape = Literal["roit-json", "oauth2-form", "oauth2-basic"]
TOKEN_SHAPES: tuple[str, ...] = get_args(TokenShape)
# Paths the token endpoint may not take over.
_TAKEN_PREFIXES = ("/_sandbox", "/files/", "/ibs-core-entrypoint/", "/ibs-core-delivery/")
# Fields token_required_fields may not name: the shapes' own fields.
_TOKEN_FIELDS = frozenset({"clientId", "clientSecret", "grant_type", "client_id", "client_secret"})


def check_token_path(path: str) -> str:
    """The token endpoint's path, normalised (no trailing ``/``).

    Raises:
        ValueError: not an absolute path, has a query / fragment / whitespace, or is taken by
            the sandbox's other routes.
    """
    normal = path.rstrip("/")
    if not normal.startswith("/") or any(c in normal for c in "?# \t\r\n"):
        raise ValueError("token path must be an absolute path such as /oauth/token")
    if normal.startswith(_TAKEN_PREFIXES) or normal == "/ibs-core-delivery/api/v1/delivery":
        raise ValueError(f"token path may not be under {', '.join(_TAKEN_PREFIXES)}")
    return normal


def check_token_required_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """Raises: ValueError when a name is empty or is one of the token shapes' own fields."""
    for name in fields:
        if not name or name in _TOKEN_FIELDS:
            raise ValueError(f"token_required_fields may not name {name!r}")
    return dict(fields)


@dataclass
class SandboxConfig:
    """Everything ``python -m sandbox`` can set; the defaults are the CLI's.

    ``token_shape``, ``token_required_fields``, ``opaque_tokens``, ``gzip``, ``token_path``,
    ``page_size`` and ``token_lifetime_s`` can also change at run time (``PUT /_sandbox/config``).
    """

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
    token_shape: TokenShape = "roit-json"
    token_required_fields: dict[str, str] = field(default_factory=dict)
    opaque_tokens: bool = False
    gzip: bool = False
    token_path: str = DEFAULT_TOKEN_PATH

    def __post_init__(self) -> None:
        if self.token_shape not in TOKEN_SHAPES:
            raise ValueError(f"token_shape must be one of {', '.join(TOKEN_SHAPES)}")
        self.token_path = check_token_path(self.token_path)
        self.token_required_fields = check_token_required_fields(self.token_required_fields)

    @property
    def integration_id(self) -> str:
        """The integration seeded data belongs to (the first one configured)."""
        return self.integration_ids[0]
