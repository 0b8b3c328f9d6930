"""Poll targets: the (entity, type) pairs ``poll_pending`` asks ROIT for."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictInt, WithJsonSchema, field_validator

from shared.core.inputs import StrictModel
from shared.roit.models import PendingEntity

__all__ = ["ALL_DOCUMENTS", "MAX_TARGETS", "PollRequest", "PollTarget", "parse_targets"]

PollTarget = tuple[PendingEntity, str | None]
"""One (entity, type) pair to poll; type ``None`` asks for every type."""

ALL_DOCUMENTS: PollTarget = (PendingEntity.DOCUMENT, None)

MAX_TARGETS = 64
"""At most this many ENTITY[:TYPE] entries in one list (Terraform's validation says the same)."""


def parse_targets(raw: Any) -> list[PollTarget]:
    """``ENTITY[:TYPE],…`` (or a list of such strings) as (entity, type) pairs, no duplicates.

    Raises:
        ValueError: not a string or list of strings, an unknown entity, more than
            ``MAX_TARGETS`` entries, or no target at all. The message never quotes the input
            (it may come from an HTTP caller).
    """
    if isinstance(raw, list) and all(isinstance(x, tuple) and len(x) == 2 for x in raw):
        # not dead: pydantic-settings validates the default ([ALL_DOCUMENTS]) through here
        raw = ",".join(f"{e}:{t or ''}" for e, t in raw)
    elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        raw = ",".join(raw)
    if not isinstance(raw, str):
        raise ValueError("must be ENTITY[:TYPE] strings, comma-separated or as a list")
    chunks = [c for c in (c.strip() for c in raw.split(",")) if c]
    if len(chunks) > MAX_TARGETS:
        raise ValueError(f"at most {MAX_TARGETS} ENTITY[:TYPE] entries")
    targets: dict[PollTarget, None] = {}  # ordered, and no duplicates
    for chunk in chunks:
        entity, _, doc_type = chunk.partition(":")
        try:
            parsed = PendingEntity(entity.strip().upper())
        except ValueError:
            allowed = ", ".join(e.value for e in PendingEntity)
            raise ValueError(f"unknown entity (allowed: {allowed})") from None
        kind = doc_type.strip().upper() or None
        if kind is not None and not _valid_type(kind):
            raise ValueError("TYPE must be 1-64 letters, digits, '-', '_' or '.'")
        targets[(parsed, kind)] = None
    if not targets:
        raise ValueError("needs at least one ENTITY[:TYPE]")
    return list(targets)


def _valid_type(kind: str) -> bool:
    return len(kind) <= 64 and all(c.isascii() and (c.isalnum() or c in "-_.") for c in kind)


_TARGET = f"({'|'.join(e.value for e in PendingEntity)})(:[A-Za-z0-9._-]{{1,64}})?"
_TARGETS_SCHEMA = {
    "anyOf": [
        {
            "type": "array",
            "items": {"type": "string", "pattern": f"^{_TARGET}$"},
            "minItems": 1,
            "maxItems": MAX_TARGETS,
        },
        {"type": "string", "pattern": f"^{_TARGET}(,{_TARGET}){{0,{MAX_TARGETS - 1}}}$"},
        {"type": "null"},
    ],
    "default": None,
    "description": "ENTITY[:TYPE] strings, as a list or comma-separated",
}
"""What a caller sends as ``targets`` (the field's own type is what it is parsed into)."""


class PollRequest(StrictModel):
    """Optional body of a poll: override the configured targets or page cap for one run."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    targets: Annotated[list[PollTarget] | None, WithJsonSchema(_TARGETS_SCHEMA)] = None
    max_pages: StrictInt | None = Field(default=None, alias="maxPages", ge=1, le=10_000)

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> list[PollTarget] | None:
        return None if value is None else parse_targets(value)
