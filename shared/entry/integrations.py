"""Which ROIT integrations a partner may act on through the public webhook.

A partner's signed request names the integration (``integrationId``) the connector then acts
on at ROIT with the deployment's own credentials. Without a check, a partner holding a valid
webhook key could act on any integration those credentials reach. Only the deployment's own
integration is allowed, or the list in ``ROIT_PARTNER_INTEGRATION_IDS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.core.errors import InvalidInputError

__all__ = ["check_partner_integration", "parse_integration_ids"]


def parse_integration_ids(raw: object) -> object:
    """A comma- or whitespace-separated list from the environment (other values unchanged)."""
    if isinstance(raw, str):
        return [part for part in raw.replace(",", " ").split() if part]
    return raw


def check_partner_integration(requested: str | None, own: str, allowed: Sequence[str]) -> None:
    """Refuse a partner's ``integrationId`` that is neither ``own`` nor in ``allowed``.

    Raises:
        InvalidInputError: 403 naming the field, never quoting the value.
    """
    if requested is None or requested == own or requested in allowed:
        return
    raise InvalidInputError(
        "this integrationId may not be used through the webhook; leave it out to act on the "
        "deployment's own integration",
        field="integrationId",
        status_code=403,
    )
