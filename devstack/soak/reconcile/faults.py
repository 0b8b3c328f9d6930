"""The soak's table, sections 8 and 9: the faults themselves, and the processes (memory,
secrets in logs)."""

from __future__ import annotations

from collections import Counter

from devstack.report import Check
from devstack.soak.reconcile.evidence import Evidence
from devstack.soak.reconcile.rows import section

__all__ = ["fault_checks", "process_checks"]

MIB = 1024


def fault_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("8. faults injected", rows)
    stats = e.fault_stats or e.stats  # what ROIT answered while the faults were on
    calls: dict[str, dict[str, int]] = stats.get("calls", {})
    roit = [c for name, c in calls.items() if name not in ("_sandbox", "files", "unknown")]
    total = sum(sum(c.values()) for c in roit)

    def share(n: int) -> str:
        return f"{100 * n / max(total, 1):.1f}% of {total} calls in the fault phase"

    fives = sum(n for c in roit for k, n in c.items() if k.isdigit() and k.startswith("5"))
    add(
        "faults.roit_5xx",
        f"ROIT answered 5xx ({share(fives)})",
        0,
        fives,
        "sandbox stats",
        info=True,
    )
    limited = sum(c.get("429", 0) for c in roit)
    add(
        "faults.roit_429",
        f"ROIT answered 429 + Retry-After ({share(limited)})",
        0,
        limited,
        "sandbox stats",
        info=True,
    )
    for kind, label in (("dropped", "connections dropped"), ("slow_body", "slow bodies")):
        add(
            f"faults.roit_{kind}",
            f"ROIT {label}",
            0,
            sum(c.get(kind, 0) for c in roit),
            "sandbox stats",
            info=True,
        )
    add(
        "faults.roit_latency_spikes",
        "ROIT latency spikes",
        0,
        sum(stats.get("latencySpikes", {}).values()),
        "sandbox stats",
        info=True,
    )
    add(
        "faults.token_exchanges",
        "token exchanges at ROIT",
        0,
        int(e.stats.get("tokenExchanges", 0)),
        "sandbox stats",
        info=True,
    )
    names = Counter((f.kind, f.name) for f in e.faults)
    for (kind, name), n in sorted(names.items()):
        add(f"faults.scheduled.{kind}", name, 0, n, "soak", info=True)
    add(
        "faults.rotation_seen_both_ends",
        "credentials rotated: ROIT and Secret Manager hold the new secret",
        1,
        int(e.rotation_ok),
        "sandbox config + Secret Manager",
    )
    for f in e.faults:
        if "restored" in f.detail:
            add(
                "faults.emulator_restart.drained",
                "emulator restart: the ERP had every pending message before the stop",
                1,
                int(bool(f.detail.get("pendingDrained"))),
                "ERP + poll summaries",
            )
            add(
                "faults.emulator_restart.republished",
                "... ERP messages it held, published again after it (it keeps nothing)",
                0,
                int(f.detail["restored"]),
                "soak",
                info=True,
            )
            add(
                "faults.emulator_restart.runs_ended",
                "... poll runs waiting on it ended before it was wired again",
                1,
                int(bool(f.detail.get("runsEnded"))),
                "soak",
            )
        if "connectionsAtKill" in f.detail:
            add(
                f"faults.{f.kind}.connections_at_kill",
                f"{f.name}: connections open at the kill",
                1,
                min(1, int(f.detail["connectionsAtKill"])),
                "/proc/net/tcp",
            )
    return rows


def process_checks(e: Evidence) -> list[Check]:
    rows: list[Check] = []
    add = section("9. processes", rows)
    for label in sorted(e.rss_since):
        samples = [s for s in e.rss if s.label == label and s.at >= e.rss_since[label]]
        if len(samples) < 2:  # restarted too close to the end to be measured
            add(
                f"processes.rss_samples.{label}",
                f"{label}: worker RSS samples since its warm-up",
                0,
                len(samples),
                "/proc",
                info=True,
            )
            continue
        start, end = samples[0].kib // MIB, samples[-1].kib // MIB
        peak = max(s.kib for s in samples) // MIB
        add(
            f"processes.rss_growth.{label}",
            f"{label} worker RSS growth, MiB ({start} -> {end}, peak {peak})",
            e.rss_limit_mib,
            end - start,
            "/proc/<pid>/status",
            at_most=True,
        )
    add(
        "processes.alive",
        "function processes running at the end",
        len(e.alive),
        sum(e.alive.values()),
        "soak",
    )
    add(
        "processes.log_lines_scanned",
        f"log lines scanned ({e.scan.files} files)",
        0,
        e.scan.lines,
        "logs",
        info=True,
    )
    add(
        "processes.secret_in_logs", "log lines holding a secret or a token", 0, e.scan.total, "logs"
    )
    for (where, kind), n in sorted(e.scan.hits.items()):
        add(f"processes.secret_in_logs.{where}.{kind}", f"... {where}: {kind}", 0, n, "logs")
    return rows
