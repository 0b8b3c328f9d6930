"""The soak's reconciliation, in one place.

- `evidence`: everything the soak gathered and the facts several rows share.
- `rows`: the rows of each section, each with a stable id; `checks`: the whole table.
- `final`: the last step: gather the final evidence, reconcile, print.
"""
