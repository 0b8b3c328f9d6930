"""One pending page's entities, parsed: what the poller reads, for tests that ask ROIT directly
(the client itself has no such call: the poller reads a page item by item)."""

from __future__ import annotations

from shared.core.errors import MalformedResponseError
from shared.roit.client import RoitClient
from shared.roit.models import PendingEntity, PendingItem


def pending(
    client: RoitClient, entity: PendingEntity, doc_type: str | None = None
) -> list[PendingItem]:
    """One page of pending entities; ROIT marks each PROCESSING as it returns it."""
    page = client.pending_page(client.pending_request(entity, doc_type))
    if page.items is None:
        raise MalformedResponseError(page.problem or "ROIT's pending answer holds no list")
    return [PendingItem.from_raw(item) for item, _ in page.items]
