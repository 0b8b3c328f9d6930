"""The soak's whole table: every row of every section, in order."""

from __future__ import annotations

from devstack.report import Check
from devstack.soak.reconcile.calls import caller_checks, poll_checks
from devstack.soak.reconcile.evidence import Evidence
from devstack.soak.reconcile.faults import fault_checks, process_checks
from devstack.soak.reconcile.messages import dead_letter_checks, delivery_checks
from devstack.soak.reconcile.pending import pending_checks
from devstack.soak.reconcile.rows import document_checks, status_checks

__all__ = ["reconcile"]


def reconcile(e: Evidence) -> list[Check]:
    """Every row of the soak's table, in order."""
    return [
        *document_checks(e),
        *pending_checks(e),
        *status_checks(e),
        *delivery_checks(e),
        *dead_letter_checks(e),
        *caller_checks(e),
        *poll_checks(e),
        *fault_checks(e),
        *process_checks(e),
    ]
