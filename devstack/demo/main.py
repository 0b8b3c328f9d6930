"""`python -m devstack demo`: start the stack, run one whole cycle
(:class:`~devstack.demo.run.DemoRun`), print its reconciled table, then stop (or, with
`--keep-up`, hold the stack until Ctrl-C)."""

from __future__ import annotations

from devstack.demo.run import DemoRun
from devstack.report import Progress, reconciled, render
from devstack.stack.local import LocalStack

__all__ = ["run_demo"]


def run_demo(*, documents: int = 200, keep_up: bool = False, name: str | None = None) -> int:
    """Start the stack, run the cycle, print the table; 0 only if everything reconciles."""
    from devstack.stack.layout import StackOptions

    say = Progress()
    master = max(2, documents // 20)
    options = StackOptions(seed_documents=documents, seed_master=master, seed_received=3)
    say(f"starting the local stack ({documents} documents, {master} POs and suppliers)")
    with LocalStack(options) as stack:
        say(f"stack up: sandbox {stack.sandbox_url}, emulator {stack.pubsub_host}")
        run = DemoRun(stack, progress=say)
        try:
            checks = run.run()
            tokens = run.stats()["tokenExchanges"]
        finally:
            run.close()
        print()
        print(render(checks))
        print()
        print(f"token exchanges at the sandbox: {tokens} (one per function process)")
        ok = reconciled(checks)
        print("reconciled" if ok else "NOT reconciled: see MISMATCH rows above")
        if not ok:
            stack.keep_logs = True
            print(f"the processes' logs stay in {stack.log_dir}")
        if keep_up:
            from devstack.banner import hold
            from devstack.stack.state import default_name

            hold(stack, name or default_name())
    say("stack stopped")
    return 0 if ok else 1
