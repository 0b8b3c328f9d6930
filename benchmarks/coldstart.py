"""Figure 1, cold start: process start to the first 200 of a real request, per function and
secret shape, against the hand-written peer in the same shape (:mod:`benchmarks.shapes`), with
a functions-framework hello-world started and polled the same way as the floor.

Each start is polled with its real request (a new connection every 5 ms until one is
answered) and stopped before the next starts. Medians over the rounds; ratio = connector / peer.

Separately, in fresh interpreters (:mod:`benchmarks.coldpath`), where a function's cold path
goes: ``import functions_framework``, ``main.py``, the first request against a second one,
``-X importtime`` by phase, and the first use of the Secret Manager and Pub/Sub clients.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from typing import Any

import httpx

from benchmarks import shapes
from benchmarks.coldpath import imports_by_phase
from benchmarks.measure import tree_cpu_s
from benchmarks.report import Figure
from benchmarks.stack import (
    ANCHOR_TOPIC,
    CREDENTIALS_SECRET,
    FUNCTIONS,
    PROJECT,
    BenchStack,
    Instance,
)
from benchmarks.workload import POLL_TARGET, Call, Workload
from devstack.processes.managed import INHERITED_ENV_DROPPED, REPO_ROOT

__all__ = ["run"]

POLL_EVERY_S = 0.005
POLL_DOCUMENTS = 5  # pending for poll_pending's first request


def first_200(
    instance: Instance, call: Call, client: httpx.Client, timeout_s: float = 120
) -> tuple[float, float]:
    """Start ``instance`` and send ``call`` until it is answered: (seconds from spawn to a 200,
    CPU seconds the process group used by then).

    The CPU time is what the start needed whatever else the machine was doing (wall time on a
    shared machine also holds the waits for a core): functions-framework imports ``main.py``
    in gunicorn's master, and the forked worker serves the request.

    Raises:
        RuntimeError: the process exited, did not answer in time, or answered non-200.
    """
    instance.start()
    while True:
        try:
            response = client.post(instance.url, content=call.body, headers=call.headers)
        except httpx.TransportError:
            if not instance.running():
                raise RuntimeError(f"{instance.name} exited:\n{instance.log_tail()}") from None
            if time.perf_counter() - instance.started_at > timeout_s:
                raise RuntimeError(
                    f"{instance.name} never answered:\n{instance.log_tail()}"
                ) from None
            time.sleep(POLL_EVERY_S)
            continue
        elapsed = time.perf_counter() - instance.started_at
        if response.status_code != 200:
            raise RuntimeError(
                f"{instance.name} answered its first request {response.status_code}: "
                f"{response.text[:500]}\n{instance.log_tail()}"
            )
        assert instance.process.pid is not None
        return elapsed, tree_cpu_s(instance.process.pid)


def _child_env(stack: BenchStack, name: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_ENV_DROPPED)}
    env = {**inherited, **shapes.shape_env(stack, name, "file")}  # as deployed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _child(args: list[str], env: dict[str, str], stdin: dict[str, Any]) -> tuple[dict, str]:
    done = subprocess.run(
        [sys.executable, *args],
        input=json.dumps(stdin),
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def cold_path(stack: BenchStack, workload: Workload, name: str, rounds: int) -> dict[str, Any]:
    """Phase timings (the fastest of ``rounds`` fresh interpreters: the phases are CPU-bound,
    and a shared machine only ever adds time) and ``-X importtime`` by phase."""
    env = _child_env(stack, name)
    doc_type = POLL_TARGET.partition(":")[2]
    call = workload.call(name)
    request = {"body": base64.b64encode(call.body).decode(), "headers": call.headers}
    runs = []
    for _ in range(rounds):
        if name == "poll_pending":
            stack.control.seed(documents=POLL_DOCUMENTS, types=[doc_type])
        runs.append(_child(["-m", "benchmarks.coldpath", name], env, request)[0])
    if name == "poll_pending":
        stack.control.seed(documents=POLL_DOCUMENTS, types=[doc_type])
    _, stderr = _child(["-X", "importtime", "-m", "benchmarks.coldpath", name], env, request)
    phases = {
        key: round(min(run[key] for run in runs), 1) for key in runs[0] if key.endswith("_ms")
    }
    statuses = {run["first_request_status"] for run in runs} | {
        run["second_request_status"] for run in runs
    }
    phases["first_request_extra_ms"] = round(
        phases["first_request_ms"] - phases["second_request_ms"], 1
    )
    return {
        "phases_ms": phases,
        "statuses": sorted(statuses),
        "modules_loaded": runs[0]["modules_loaded"],
        "imports": imports_by_phase(stderr),
    }


def client_first_use(stack: BenchStack, rounds: int) -> dict[str, Any]:
    """Import + construction + first call of each Google client, in fresh interpreters (the
    fastest of ``rounds``)."""
    env = _child_env(stack, "poll_pending")
    configs = {
        "secretmanager": {
            "endpoint": stack.secrets.url,
            "secret": f"projects/{PROJECT}/secrets/{CREDENTIALS_SECRET}/versions/latest",
        },
        "pubsub": {"topic": f"projects/{PROJECT}/topics/{ANCHOR_TOPIC}"},
    }
    result: dict[str, Any] = {}
    for kind, config in configs.items():
        runs = [
            _child(["-m", "benchmarks.coldpath", "--client", kind], env, config)[0]
            for _ in range(rounds)
        ]
        result[kind] = {key: round(min(r[key] for r in runs), 1) for key in runs[0]}
    return result


def run(
    stack: BenchStack,
    *,
    rounds: int,
    pairs: list[tuple[str, str]],
    path_rounds: int,
    path_functions: tuple[str, ...] = FUNCTIONS,
) -> tuple[list[Figure], dict[str, Any]]:
    """Figure 1 (each function and shape against its hand-written peer) and the cold-path
    breakdown."""
    workload = Workload.prepare(stack.control, stack.token())
    samples = shapes.measure(stack, workload, pairs, rounds, first_200)
    details = shapes.details(samples)
    details["cold_path"] = {
        name: cold_path(stack, workload, name, path_rounds) for name in path_functions
    }
    details["client_first_use_ms"] = client_first_use(stack, path_rounds)
    return shapes.figures(samples, pairs), details


def text(details: dict[str, Any], top: int = 4) -> str:
    """The cold-path breakdown and the clients' first use, as printed after the table."""
    lines = [
        "Cold path by phase, in-process (Flask test client), fastest of N fresh interpreters; ms:",
        f"  {'function':<18} {'import ff':>9} {'main.py':>8} {'1st req':>8} {'2nd req':>8}"
        "  costliest imports of main.py | of the 1st request (package: self ms)",
    ]

    def costliest(imports: dict[str, Any], phase: str) -> str:
        packages = imports.get(phase, {}).get("packages_ms", {})
        return ", ".join(f"{k} {v:g}" for k, v in list(packages.items())[:top])

    for name, path in details.get("cold_path", {}).items():
        phases, imports = path["phases_ms"], path["imports"]
        lines.append(
            f"  {name:<18} {phases['import_functions_framework_ms']:>9.0f} "
            f"{phases['create_app_ms']:>8.0f} {phases['first_request_ms']:>8.0f} "
            f"{phases['second_request_ms']:>8.1f}  {costliest(imports, 'create_app (main.py)')} | "
            f"{costliest(imports, 'first request')}"
        )
    clients = details.get("client_first_use_ms", {})
    if clients:
        lines.append(
            "First use of each Google client (fresh interpreter, flask/httpx/pydantic imported; "
            "ms): import + construct + first call (second call)"
        )
        for kind, t in clients.items():
            lines.append(
                f"  {kind:<14} {t['import_ms']:.0f} + {t['construct_ms']:.0f} + "
                f"{t['first_call_ms']:.0f} = {t['first_use_ms']:.0f} ({t['second_call_ms']:.0f})"
            )
    return "\n".join(lines)
