"""The soak's reconciliation, in one place.

- `evidence`: everything the soak gathered and the facts several rows share.
- `rows`: how a section adds its rows (each with a stable id); documents and statuses.
- `pending`, `messages`, `calls`, `faults`: the other sections (pending messages; deliveries
  and dead letters; reprocess, attachments and poll runs; the faults and the processes).
- `checks`: the whole table in order; `final`: the last step (gather, reconcile, print).
"""
