"""The soak (`python -m devstack soak`): the stack under mixed faults, then reconciled.

- `main`: the entry point (`run_soak`), the phases in order, the table written to
  `docs/testing-results/soak.md`.
- `plan`: options and the schedule of faults; `run`: `Soak`, one run and its waiting.
- `erp`, `workload`, `drivers`: the continuous ERP, the workload, the HTTP callers.
- `faults`, `observe`: the faults; memory, log events and the secret scan.
- `reconcile/`: the evidence and every row of the table (one place); `effects`: section 10,
  effects once across two instances on the idempotency store (after the evidence is taken).
- `sabotage/`: breaks the connector on purpose (`--sabotage KIND`).
"""
