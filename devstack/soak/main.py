"""`python -m devstack soak`: the whole local stack under mixed, simultaneous faults for a
sustained run, then every document and message reconciled against the sandbox's and Pub/Sub's
own state, in one table. Exit status 0 only when every row holds.

Phases: start the stack (two poll_pending deployments; push and ERP subscriptions without a
retry policy — the emulator strands messages under one — and 100 delivery attempts, so no
outage the soak injects outlasts the retry window) -> warm up (every function serves once;
memory baseline) -> the fault phase (waves of documents, the ERP integrating, deliveries,
reprocess calls, attachment fetches, poll runs; ROIT failing at sustained rates and the
scheduled faults of :data:`devstack.soak.plan.EVENTS`) -> settle (faults off; poll until
nothing moves) -> reconcile (:mod:`devstack.soak.reconcile.checks`) -> stop everything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from devstack.report import Check, Progress
from devstack.soak.faults import new_client_secret
from devstack.soak.plan import POLL_TARGETS, SoakOptions
from devstack.soak.run import Soak
from devstack.stack.layout import StackOptions
from devstack.stack.local import LocalStack

__all__ = ["SoakResult", "run_soak", "soak"]


@dataclass(frozen=True)
class SoakResult:
    """What a soak found: `ok` when every row holds and the run settled."""

    ok: bool
    checks: list[Check]
    elapsed_s: float


def run_soak(
    options: SoakOptions, *, say: Progress | None = None, write_results: bool = False
) -> int:
    """Start the stack, run the soak, print the table (and, with `write_results`, write it
    to `docs/testing-results/soak.md`); 0 only if everything reconciles."""
    result = soak(options, say=say)
    if write_results:
        from devstack.soak.results import write_results as write

        path = write(
            result.checks, ok=result.ok, described=options.describe(), elapsed_s=result.elapsed_s
        )
        print(f"the table is written to {path}")
    return 0 if result.ok else 1


def soak(options: SoakOptions, *, say: Progress | None = None) -> SoakResult:
    """Start the stack, run the soak, print the table, stop everything."""
    from devstack.soak.reconcile.final import finish

    lines: list[str] = []

    def show(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    say = say or Progress(show)
    say(f"soak: {options.describe()}")
    stack_options = StackOptions(
        poll_targets=POLL_TARGETS,
        pollers=options.pollers,
        client_secret=new_client_secret(),
        retry_min_s=None,  # the emulator strands messages under a retry policy (wiring.py)
        push_max_delivery_attempts=100,
        erp_max_delivery_attempts=100,
        erp_ack_deadline_s=10,  # a pull answer lost in a freeze comes back after 10 s
        sandbox_options={"random_seed": options.seed},
        keep_logs=options.keep_logs,
        function_env=_sabotage(options.sabotage),
    )
    started = time.monotonic()
    with LocalStack(stack_options) as stack:
        say(f"stack up in {time.monotonic() - started:.0f} s (logs: {stack.log_dir})")
        run = Soak(stack, options, say)
        try:
            run.warm_up()
            say("warm-up done: every function served; memory baseline taken")
            run.fault_start = run.clock()
            run.fault_phase()
            settled = run.settle()
            ok, checks = finish(run, settled, lines)
        finally:
            run.close()
        if not ok:
            stack.keep_logs = True
            print(f"the processes' logs stay in {stack.log_dir}")
    elapsed = time.monotonic() - started
    say(f"stack stopped; soak took {elapsed:.0f} s")
    return SoakResult(ok, checks, elapsed)


def _sabotage(kind: str | None) -> dict[str, str]:
    """What a function process needs to be broken on purpose (devstack/soak/sabotage)."""
    if kind is None:
        return {}
    from devstack.processes.managed import REPO_ROOT

    return {
        "PYTHONPATH": str(REPO_ROOT / "devstack" / "soak" / "sabotage"),
        "DEVSTACK_SABOTAGE": kind,
    }
