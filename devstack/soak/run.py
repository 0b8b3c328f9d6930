"""One soak run against a started stack: its phases, its workload, its waiting.

See :mod:`devstack.soak.main` for the whole story; the evidence it gathers is reconciled by
:mod:`devstack.soak.reconcile.checks`.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from devstack.report import Progress
from devstack.soak.drivers import Caller, PollScheduler
from devstack.soak.erp import SoakErp
from devstack.soak.faults import SoakFaults, Sources
from devstack.soak.observe import LogEvents, RssSampler, wait_until
from devstack.soak.plan import EVENTS, TOGETHER, SoakOptions
from devstack.soak.reconcile.evidence import ErpView, Evidence, difference, held_keys
from devstack.soak.settle import wait_settled
from devstack.soak.workload import bad_status_messages, delivery_plan, seed_waves
from devstack.stack.local import LocalStack

__all__ = ["Soak"]


class Soak:
    """One soak run against a started stack (see :func:`run_soak`)."""

    def __init__(self, stack: LocalStack, options: SoakOptions, say: Progress) -> None:
        from sandbox.control import SandboxControl
        from sandbox.seed.generator import SeedGenerator

        self.stack, self.options, self.say = stack, options, say
        self.t0 = time.monotonic()
        self.rng = random.Random(options.seed)
        self.control = SandboxControl(stack.sandbox_url, timeout_s=60)
        self.erp = SoakErp(stack.pubsub_host, stack.options.project, clock=self.clock).start()
        pollers = [s.label for s in stack.functions if s.target == "poll_pending"]
        self.scheduler = PollScheduler(
            {label: stack.function_url(label) for label in pollers},
            interval_s=options.poll_interval_s,
            clock=self.clock,
        )
        urls = {s.label: stack.function_url(s.label) for s in stack.functions}
        self.caller = Caller(urls, stack.webhook_secret, clock=self.clock)
        self.faults = SoakFaults(stack, self.control, options.rates, clock=self.clock, say=say)
        functions = [s.label for s in stack.functions]
        self.sampler = RssSampler(
            lambda: {k: p.pid for k, p in stack.processes.items() if k in functions and p.pid},
            clock=self.clock,
            every_s=5.0,
        )
        cnpjs = [SeedGenerator(random.Random(options.seed)).cnpj() for _ in range(20)]
        self.plan = delivery_plan(options.deliveries, self.rng, cnpjs)
        self.bad_statuses: list[Any] = []
        self.seeded = self.not_ready = 0
        self.unsigned = 0
        self.baseline_at = 0.0
        self.chosen: set[str] = set()
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="soak-caller")
        self._stop_callers = threading.Event()
        self._bad_sent = False
        self.held_back: list[Any] = []
        self.fault_start = 0.0
        self.fault_stats: dict[str, Any] = {}

    def clock(self) -> float:
        return time.monotonic() - self.t0

    def close(self) -> None:
        self._stop_callers.set()
        self.pool.shutdown(wait=True)
        self.scheduler.close()
        self.sampler.close()
        self.erp.close()
        self.caller.close()
        self.control.close()

    # -- phases ----------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Every function serves at least once; then the memory baseline."""
        self._seed(documents=12, master=2, received=0)
        self.scheduler.fire_together()
        self.scheduler.wait_idle(120)
        self._publish_deliveries(self.plan.messages[:2])
        self.plan.messages = self.plan.messages[2:] + self.plan.messages[:2]  # sent first
        self._settle(timeout_s=120, stall_s=self.options.stall_s)
        done = sorted(self.control.requests_summary()["requestIds"]["DONE"])
        target = done[0] if done else ""
        self.unsigned = self.caller.unsigned_webhook(target or "none")
        if target:
            self.caller.attachments(target)
            self.caller.reprocess(target, "webhook")
            self.caller.reprocess(done[-1], "team")
        self._settle(timeout_s=120, stall_s=self.options.stall_s)
        self.sampler.sample()
        self.baseline_at = self.clock()
        self.sampler.start()

    def fault_phase(self) -> None:
        opts = self.options
        self.faults.apply_rates()
        before = dict(self.control.stats())
        self.scheduler.start()
        callers = threading.Thread(target=self._callers, name="soak-callers", daemon=True)
        callers.start()
        events = threading.Thread(target=self._events, name="soak-faults", daemon=True)
        events.start()
        waves = seed_waves(opts.documents, opts.master, opts.received, opts.waves)
        together = list(TOGETHER)
        messages = self.plan.messages[: len(self.plan.messages) - 2]
        keep = max(5, len(messages) // 20)  # for the moment register_delivery is killed
        messages, self.held_back = messages[:-keep], messages[-keep:]
        sent = 0
        while (elapsed := self.clock() - self.fault_start) < opts.duration_s:
            fraction = elapsed / opts.duration_s
            while waves and waves[0].at <= fraction:
                wave = waves.pop(0)
                self._seed(wave.documents, wave.master, wave.received)
            while together and together[0] <= fraction:
                together.pop(0)
                self.scheduler.fire_together()
            due = min(len(messages), int(len(messages) * fraction / 0.9) + 1)
            self._publish_deliveries(messages[sent:due])
            sent = max(sent, due)
            time.sleep(0.2)
        self._publish_deliveries(messages[sent:])
        self.say("fault phase over: waiting for the scheduled faults still running")
        events.join()
        self._publish_deliveries(self.held_back)  # if no kill took them
        self.fault_stats = difference(dict(self.control.stats()), before)
        self._stop_callers.set()
        callers.join()

    def settle(self) -> bool:
        """Faults off; poll on until everything sent has had its effect."""
        self.faults.clear()
        self.say("faults off: polling until nothing is left to move")
        return self._settle(timeout_s=900, stall_s=self.options.stall_s, operator=True)

    # -- the workload ----------------------------------------------------------------------
    def _seed(self, documents: int, master: int, received: int) -> None:
        self.control.seed(documents=documents, master=master, received=received)
        self.seeded += documents + 2 * master
        self.not_ready += received
        if not self.bad_statuses:
            ready = self.control.requests(status="PENDING", limit=1)[0]
            self.bad_statuses = bad_status_messages(ready["requestId"], ready["reference"])
        self.say(f"seeded {documents} documents, {master} POs + suppliers, {received} not ready")

    def _publish_deliveries(self, messages: list[Any]) -> None:
        for message in messages:
            self.erp.enqueue(message)
        if messages and self.bad_statuses and not self._bad_sent:
            self._bad_sent = True
            for bad in self.bad_statuses:
                self.erp.enqueue(bad.message)

    def _callers(self) -> None:
        opts = self.options
        next_reprocess = next_fetch = 0.0
        kinds = ["webhook", "team"]
        while not self._stop_callers.wait(0.25):
            now = self.clock()
            if now < next_reprocess and now < next_fetch:
                continue
            ids = self.control.requests_summary()["requestIds"]
            statuses = self.erp.snapshot().statuses
            if now >= next_reprocess:
                next_reprocess = now + opts.reprocess_every_s
                errors = [
                    r
                    for r in ids["ERROR"]
                    if r not in self.chosen and statuses.get(r, [""])[-1] == "ERROR"
                ]
                if errors:
                    rid = self.rng.choice(sorted(errors))
                    self.chosen.add(rid)
                    kinds.reverse()
                    self.pool.submit(self.caller.reprocess, rid, kinds[0])
            if now >= next_fetch and ids["DONE"]:
                next_fetch = now + opts.attachments_every_s
                self.pool.submit(self.caller.attachments, self.rng.choice(sorted(ids["DONE"])))

    def _events(self) -> None:
        opts = self.options
        if not opts.scheduled_faults:
            return
        sources = Sources(
            self._pause,
            self._resume,
            self._drain,
            lambda: held_keys(self.evidence()),
            self._restore,
            self._idle,
        )
        for at, name in EVENTS:
            delay = self.fault_start + at * opts.duration_s - self.clock()
            if delay > 0:
                time.sleep(delay)
            if name == "lose_page":
                self.faults.lose_page()
            elif name == "revoke_tokens":
                self.faults.revoke_tokens()
            elif name == "freeze_emulator":
                self.faults.freeze_emulator(opts.freeze_s)
            elif name == "restart_emulator":
                self.faults.restart_emulator(sources, opts.outage_s)
            elif name == "rotate_credentials":
                self.faults.rotate_credentials(opts.rotation_gap_s)
            elif name == "kill:register_delivery":
                held, self.held_back = self.held_back, []
                traffic = partial(self._publish_deliveries, held)
                self.faults.kill_function("register_delivery", opts.kill_down_s, traffic)
            elif name.startswith("kill:"):
                self.faults.kill_function(name.split(":", 1)[1], opts.kill_down_s)

    # -- waiting ---------------------------------------------------------------------------
    def _pause(self) -> None:
        self.scheduler.pause()
        self.erp.pause()

    def _resume(self) -> None:
        self.scheduler.resume()
        self.erp.resume()

    def _drain(self) -> bool:
        """(Sources paused.) Wait until no poll run is in progress, the ERP has every pending
        message the pollers published and nothing it publishes is in flight."""
        self.scheduler.wait_idle(300)

        def drained() -> bool:
            e = self.evidence()
            return self.erp.idle() and len(e.erp.receipts) >= e.published_by_pollers

        ok = wait_until(drained, timeout_s=60, every_s=0.5)
        if not ok:
            e = self.evidence()
            self.say(
                f"drain: the ERP has {len(e.erp.receipts)} of the {e.published_by_pollers} "
                f"pending messages the pollers published; publishing: {not self.erp.idle()}"
            )
        time.sleep(2.0)  # the dead-letter collector's sweep
        return ok

    def _idle(self, timeout_s: float) -> bool:
        runs = self.scheduler.wait_idle(timeout_s)
        return wait_until(self.erp.idle, timeout_s=timeout_s) and runs

    def _restore(self, keys: list[str]) -> int:
        """Publish again the ERP's messages the stopped emulator lost."""
        self.erp.new_generation()
        messages = [self.erp.sent[key] for key in keys if key in self.erp.sent]
        for message in reversed(messages):
            self.erp.enqueue(message, first=True)
        return len(messages)

    def _settle(self, *, timeout_s: float, stall_s: float, operator: bool = False) -> bool:
        """Wait until the stack settled; as the operator, reprocess what a poller named failed."""
        return wait_settled(
            self.evidence, self.erp, self.scheduler, self.say,
            timeout_s=timeout_s, stall_s=stall_s,
            on_failed=self._reprocess_failed if operator else None,
        )  # fmt: skip

    def _reprocess_failed(self, request_ids: set[str]) -> None:
        for rid in request_ids - self.chosen:
            self.chosen.add(rid)
            self.caller.reprocess(rid, "operator")

    # -- evidence --------------------------------------------------------------------------
    def evidence(self, **final: Any) -> Evidence:
        """What the sandbox, the ERP and the callers say now (`final`: what only the last step
        gathers: logs, memory, the secret scan)."""
        ledger = self.erp.snapshot()
        control = self.control
        return Evidence(
            requests=[dict(r) for r in control.requests()],
            summary=dict(control.requests_summary()),
            deliveries=control.deliveries(),
            stats=dict(control.stats()),
            erp=ErpView(**vars(ledger)),
            plan=self.plan,
            bad_statuses=self.bad_statuses,
            seeded=self.seeded,
            received=self.not_ready,
            runs=list(self.scheduler.runs),
            calls=list(self.caller.calls),
            faults=list(self.faults.records),
            lost_pages_armed=self.faults.lost_pages_taken(),
            logs=final.pop("logs", None) or LogEvents(),
            rss_limit_mib=self.options.rss_limit_mib,
            fault_stats=self.fault_stats,
            unsigned_webhook=self.unsigned,
            **final,
        )
