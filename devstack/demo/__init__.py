"""The demo (`python -m devstack demo`): one whole reconciled cycle.

- `run`: the demo's steps and its reconciled table.
- `erp`: the simulated ERP (Pub/Sub only).
"""
