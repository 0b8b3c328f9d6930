"""Cold start by secret shape, against the hand-written peer in the same shape.

A *shape* is where the credentials come from, the same for the connector and its peer:

* ``file``: a mounted file (``ROIT_CREDENTIALS_FILE``), what Terraform deploys by default;
* ``client``: Secret Manager by name, read with the client library (``ROIT_CREDENTIALS_SECRET``,
  against the stand-in over REST);
* ``env``: ``ROIT_CLIENT_ID`` / ``ROIT_CLIENT_SECRET`` in the environment.

The peers (``benchmarks/anchors/peers/``) do each function's job the obvious way with the same
libraries and share no connector code. Every round starts the hello-world (the floor), then each
(function, shape) pair in a rotated order, connector and peer back to back (which goes first
alternates), each stopped before the next starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from benchmarks.measure import median
from benchmarks.report import Figure
from benchmarks.stack import BenchStack, Instance, hello_instance, peer_instance
from benchmarks.workload import HELLO_CALL, POLL_TARGET, Call, Workload

__all__ = ["SHAPES", "measure", "shape_env"]

SHAPES = ("file", "client", "env")
PEER_GOAL = 1.0
FILE_VS_ENV_GOAL = 1.1
POLL_DOCUMENTS = 5  # pending for poll_pending's first request

First200 = Callable[[Instance, Call, httpx.Client], tuple[float, float]]


def shape_env(stack: BenchStack, name: str, shape: str) -> dict[str, str]:
    """``name``'s deployed environment with its credentials from ``shape``."""
    extra = {"ROIT_POLL_TARGETS": POLL_TARGET} if name == "poll_pending" else {}
    env = stack.function_env(name, **extra)
    if shape == "client":
        return env
    del env["ROIT_CREDENTIALS_SECRET"], env["ROIT_SECRET_MANAGER_ENDPOINT"]
    if shape == "file":
        return {**env, "ROIT_CREDENTIALS_FILE": str(stack.credentials_file)}
    creds = stack.control.credentials()
    return {**env, "ROIT_CLIENT_ID": creds.client_id, "ROIT_CLIENT_SECRET": creds.client_secret}


def measure(
    stack: BenchStack,
    workload: Workload,
    pairs: list[tuple[str, str]],
    rounds: int,
    first_200: First200,
) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds to the first 200, per key (``hello``, ``F/shape``, ``F/shape/peer``)."""
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    doc_type = POLL_TARGET.partition(":")[2]

    def one(key: str, instance: Instance, call: Call, client: httpx.Client) -> None:
        try:
            seconds, used = first_200(instance, call, client)
        finally:
            instance.stop()
        wall.setdefault(key, []).append(seconds)
        cpu.setdefault(key, []).append(used)

    with httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=120) as client:
        for index in range(rounds):
            one("hello", hello_instance(), HELLO_CALL, client)
            shift = index % len(pairs)
            for name, shape in pairs[shift:] + pairs[:shift]:
                env = shape_env(stack, name, shape)
                order = [False, True] if index % 2 == 0 else [True, False]
                for peer in order:
                    if name == "poll_pending":
                        stack.control.seed(documents=POLL_DOCUMENTS, types=[doc_type])
                    key = f"{name}/{shape}" + ("/peer" if peer else "")
                    instance = peer_instance(name, env) if peer else stack.function(name, env)
                    one(key, instance, workload.call(name), client)
    return {"wall_s": wall, "cpu_s": cpu}


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}x over {len(values)} rounds"


def figures(
    samples: dict[str, dict[str, list[float]]], pairs: list[tuple[str, str]]
) -> list[Figure]:
    """Connector against peer per (function, shape), in wall and CPU time; the file shape
    against the environment shape; the hello-world floor for information."""
    wall, cpu = samples["wall_s"], samples["cpu_s"]
    found = []
    for section, data in (("cold start", wall), ("cold start CPU", cpu)):
        for name, shape in pairs:
            mine, peer = data[f"{name}/{shape}"], data[f"{name}/{shape}/peer"]
            ratios = [a / b for a, b in zip(mine, peer, strict=True)]
            found.append(
                Figure(
                    section,
                    f"{name}, {shape}",
                    "ms",
                    median(mine) * 1000,
                    median(peer) * 1000,
                    "hand-written peer",
                    "ratio",
                    median(mine) / median(peer),
                    PEER_GOAL,
                    note=f"vs hello-world {median(mine) / median(data['hello']):.2f}x; "
                    f"per round {_spread(ratios)}",
                )
            )
    shapes = {shape for _, shape in pairs}
    for name in sorted({n for n, s in pairs if {"file", "env"} <= shapes}):
        if f"{name}/file" in wall and f"{name}/env" in wall:
            mounted, env = median(cpu[f"{name}/file"]), median(cpu[f"{name}/env"])
            found.append(
                Figure(
                    "cold start CPU",
                    f"{name}, mounted file vs credentials from the environment",
                    "ms",
                    mounted * 1000,
                    env * 1000,
                    "same function, env",
                    "ratio",
                    mounted / env,
                    FILE_VS_ENV_GOAL,
                )
            )
    hello = median(wall["hello"])
    found.append(
        Figure(
            "cold start", "ff hello-world (the floor)", "ms", hello * 1000, None, "", "info", None
        )
    )
    return found


def details(samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    return {
        "samples_s": {k: [round(v, 4) for v in vs] for k, vs in samples["wall_s"].items()},
        "cpu_samples_s": {k: [round(v, 3) for v in vs] for k, vs in samples["cpu_s"].items()},
        "method": "spawn to first 200 of a real request (new connection every 5 ms); "
        "connector and hand-written peer back to back in the same shape; medians; CPU = user + "
        "system seconds of gunicorn's master and worker at the first 200",
    }
