"""One result per check: ok, failed or skipped, with what to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Check", "Status", "passed"]


class Status(StrEnum):
    """How a check ended."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass
class Check:
    """One line of ``doctor``'s report.

    Attributes:
        name: what was checked (``settings``, ``token exchange``, ``topic roit-status`` …).
        status: ok / failed / skipped.
        detail: what was found; never a secret, a token or a message body.
        fix: what to set or do, one item each (``ROIT_AUTH_SCHEME=bearer``).
    """

    name: str
    status: Status
    detail: str
    fix: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The check as ``--json`` prints it."""
        return {
            "check": self.name,
            "status": self.status.value,
            "detail": self.detail,
            "fix": list(self.fix),
        }


def passed(checks: list[Check]) -> bool:
    """True when every check that ran passed (skipped ones do not count)."""
    return all(c.status is not Status.FAILED for c in checks)
