"""The demo (`python -m devstack demo`): one whole reconciled cycle.

- `main`: the entry point (`run_demo`): start, run, print the table, stop or hold.
- `run`: `DemoRun`, the demo's steps and its reconciled rows.
- `erp`: the simulated ERP (Pub/Sub only).
"""
