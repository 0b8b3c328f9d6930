"""update_status's reader: a status-topic message, read strictly into ROIT's status update."""

from __future__ import annotations

from shared.core.inputs import parse_input, read_object
from shared.roit.models import StatusUpdate

__all__ = ["read_status"]

_FREE_FORM = ("systemInfo", "metadata")


def read_status(data: bytes) -> StatusUpdate:
    """A status-topic message, read strictly; ``systemInfo`` and ``metadata`` (free-form,
    possibly large) are checked member by member and kept as the bytes the ERP sent.

    Raises:
        InvalidInputError: naming the field, never quoting the input.
    """
    message = read_object(data, raw_objects=_FREE_FORM)
    update = parse_input(StatusUpdate, message.fields)
    update._raw = message.raw
    return update
