"""A function's cold path in one fresh interpreter, phase by phase (run as a child process).

    python [-X importtime] -m benchmarks.coldpath FUNCTION [--profile FILE] < call.json
    python -m benchmarks.coldpath --client secretmanager|pubsub < client.json

For a function (its settings in the environment, the request on stdin as JSON ``{"body":
base64, "headers": {…}}``): ``import functions_framework``, ``create_app`` (imports the
function's ``main.py``: settings validated), the first request through Flask's test client
(secret read, token exchange, the ROIT call, the publisher when it publishes) and a second one.
It prints one JSON line of milliseconds; with ``-X importtime`` it writes a marker line to
stderr between phases, so the imports of each phase can be told apart (:func:`imports_by_phase`);
with ``--profile FILE`` the first request runs under cProfile, its stats dumped to FILE.

For a client library: what its first use costs in a process that has already imported what
every function imports (flask, pydantic, httpx): import, client construction, first call,
second call — built the way the connector builds it (Secret Manager: REST transport,
anonymous credentials, the stand-in's endpoint; Pub/Sub: the GAPIC ``PublisherClient``,
``PUBSUB_EMULATOR_HOST``).
"""

from __future__ import annotations

import base64
import json
import re
import sys
import time
from collections import defaultdict
from typing import Any

__all__ = ["PHASE_MARK", "imports_by_phase"]

PHASE_MARK = "##bench-phase "


def _mark(phase: str) -> None:
    sys.stderr.write(f"{PHASE_MARK}{phase}\n")
    sys.stderr.flush()


def _function(name: str, profile_to: str | None = None) -> dict[str, Any]:
    from pathlib import Path

    request = json.loads(sys.stdin.read())
    body = base64.b64decode(request["body"])
    source = Path(__file__).resolve().parents[1] / "functions" / name / "main.py"
    timings: dict[str, Any] = {}
    _mark("import functions_framework")
    started = time.perf_counter()
    import functions_framework

    timings["import_functions_framework_ms"] = (time.perf_counter() - started) * 1000
    _mark("create_app (main.py)")
    started = time.perf_counter()
    app = functions_framework.create_app(name, str(source))
    timings["create_app_ms"] = (time.perf_counter() - started) * 1000
    client = app.test_client()
    for label in ("first_request", "second_request"):
        _mark(label.replace("_", " "))
        profiler = None
        if profile_to and label == "first_request":
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        response = client.post("/", data=body, headers=request["headers"])
        timings[f"{label}_ms"] = (time.perf_counter() - started) * 1000
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile_to)
        timings[f"{label}_status"] = response.status_code
    _mark("end")
    timings["modules_loaded"] = len(sys.modules)
    return timings


def _client(kind: str) -> dict[str, Any]:
    config = json.loads(sys.stdin.read())
    import flask  # noqa: F401 - what every function has imported already
    import httpx  # noqa: F401
    import pydantic  # noqa: F401

    timings: dict[str, Any] = {}
    started = time.perf_counter()
    if kind == "secretmanager":
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import secretmanager

        timings["import_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        client = secretmanager.SecretManagerServiceClient(
            transport="rest",
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
            client_options=ClientOptions(api_endpoint=config["endpoint"]),
        )
        timings["construct_ms"] = (time.perf_counter() - started) * 1000

        def call() -> None:
            client.access_secret_version(request={"name": config["secret"]}, timeout=10)

    else:
        from google.pubsub_v1 import PublisherClient, PubsubMessage

        timings["import_ms"] = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        publisher = PublisherClient()
        timings["construct_ms"] = (time.perf_counter() - started) * 1000

        def call() -> None:
            message = PubsubMessage(data=b'{"bench":true}', attributes={"k": "v"})
            publisher.publish(topic=config["topic"], messages=[message], timeout=30)

    for label in ("first_call_ms", "second_call_ms"):
        started = time.perf_counter()
        call()
        timings[label] = (time.perf_counter() - started) * 1000
    timings["first_use_ms"] = (
        timings["import_ms"] + timings["construct_ms"] + timings["first_call_ms"]
    )
    return timings


_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def _group(module: str) -> str:
    """The package a module is charged to: ``google.cloud.secretmanager``, ``google.protobuf``,
    ``grpc``, ``pydantic`` …"""
    parts = module.split(".")
    if parts[0] == "google" and len(parts) > 2 and parts[1] == "cloud":
        return ".".join(parts[:3])
    if parts[0] == "google" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def imports_by_phase(stderr: str, top: int = 8) -> dict[str, Any]:
    """``-X importtime`` output split at the phase markers: per phase, the total import time,
    the packages that cost most (self time summed over their modules), the costliest
    top-level imports (cumulative) and the costliest single modules (self time)."""
    phases: dict[str, list[tuple[int, int, int, str]]] = defaultdict(list)
    phase = "interpreter start-up"
    for line in stderr.splitlines():
        if line.startswith(PHASE_MARK):
            phase = line[len(PHASE_MARK) :].strip()
            continue
        match = _LINE.match(line)
        if match:
            self_us, cumulative_us = int(match[1]), int(match[2])
            depth = len(match[3]) // 2
            phases[phase].append((self_us, cumulative_us, depth, match[4]))
    result: dict[str, Any] = {}
    for name, rows in phases.items():
        by_group: dict[str, int] = defaultdict(int)
        for self_us, _, _, module in rows:
            by_group[_group(module)] += self_us
        outermost = min(depth for _, _, depth, _ in rows)
        tops = sorted(
            ((cum, module) for _, cum, depth, module in rows if depth == outermost), reverse=True
        )
        result[name] = {
            "total_ms": round(sum(r[0] for r in rows) / 1000, 1),
            "modules": len(rows),
            "packages_ms": {
                group: round(us / 1000, 1)
                for group, us in sorted(by_group.items(), key=lambda kv: -kv[1])[:top]
            },
            "top_level_imports_ms": {module: round(cum / 1000, 1) for cum, module in tops[:top]},
            "modules_self_ms": {
                module: round(us / 1000, 1)
                for us, _, _, module in sorted(rows, key=lambda r: -r[0])[:top]
            },
        }
    return result


def main(argv: list[str]) -> int:
    if argv[:1] == ["--client"]:
        timings = _client(argv[1])
    else:
        profile_to = argv[argv.index("--profile") + 1] if "--profile" in argv else None
        timings = _function(argv[0], profile_to)
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in timings.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
