"""poll_pending: ROIT's pending queue drained into the pending topic without losing a document.

* ``run`` — one invocation: one run at a time, the run's log line and HTTP answer.
* ``loop`` — the run: targets, pages fetched ahead; the one writer of the run's summary.
* ``route`` — one page routed: published, dead-lettered, handed back or named (a page result).
* ``triage`` — what of a page can be published, what is dead-lettered, what is a repeat.
* ``sink`` — publishing a page within Pub/Sub's limits, one result per message.
* ``handback`` — giving entities back to ROIT (its ``reprocess`` call).
* ``summary`` — the run's summary, its outcome and HTTP status.
* ``targets`` — the (entity, type) pairs polled; ``settings`` — ``PollerSettings``.
"""

__all__: list[str] = []
