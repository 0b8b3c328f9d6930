"""What the soak reads from the processes themselves: the memory of each function's gunicorn
worker over time, the connector's structured log lines, and every log line scanned for secrets.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.processes.ports import ESTABLISHED, local_sockets

__all__ = [
    "LogEvents",
    "RssSample",
    "RssSampler",
    "SecretScan",
    "established_connections",
    "read_events",
    "scan_secrets",
    "worker_rss_kib",
]


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_rss_kib(leader: int) -> tuple[int, int] | None:
    """(pid, RSS in KiB) of the gunicorn worker of a functions-framework process (the child
    of the group leader that serves requests); the leader itself if it has no child."""
    children = _children(leader)
    pid = max(children) if children else leader
    rss = _rss_kib(pid)
    return (pid, rss) if rss is not None else None


def established_connections(port: int) -> int:
    """TCP connections established to local `port` right now (Linux, /proc/net/tcp{,6})."""
    return len(local_sockets(port, ESTABLISHED))


@dataclass(frozen=True)
class RssSample:
    label: str
    at: float
    pid: int
    kib: int


class RssSampler:
    """Samples the worker RSS of each process in `leaders()` every `every_s` seconds."""

    def __init__(
        self, leaders: Callable[[], dict[str, int]], *, clock: Callable[[], float], every_s: float
    ) -> None:
        self.leaders = leaders
        self.clock = clock
        self.every_s = every_s
        self.samples: list[RssSample] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss", daemon=True)

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def sample(self) -> None:
        for label, leader in self.leaders().items():
            found = worker_rss_kib(leader)
            if found is not None:
                self.samples.append(RssSample(label, self.clock(), *found))

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()


@dataclass
class LogEvents:
    """The connector's structured log lines that the reconciliation reads."""

    events: Counter[str] = field(default_factory=Counter)  # event name -> lines
    may_be_lost: list[dict[str, Any]] = field(default_factory=list)  # page_may_be_lost lines
    handled: Counter[str] = field(default_factory=Counter)  # push messageId -> 2xx answers
    lines: int = 0


def _records(path: Path) -> Iterable[dict[str, Any]]:
    with path.open("rb") as log:
        for raw in log:
            if raw.startswith(b"{"):
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record


def read_events(log_dir: Path, labels: Iterable[str]) -> LogEvents:
    """Events from the functions' logs (`<label>.log`)."""
    found = LogEvents()
    for label in labels:
        path = log_dir / f"{label}.log"
        if not path.exists():
            continue
        for record in _records(path):
            found.lines += 1
            event = record.get("event")
            if isinstance(event, str):
                found.events[event] += 1
                if event == "page_may_be_lost":
                    found.may_be_lost.append({**record, "process": label})
            message = record.get("message")
            if message in ("message handled", "message dead-lettered"):
                found.handled[str(record.get("messageId"))] += 1
    return found


_SHAPES = {
    "a JWT": re.compile(rb"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"),
    "a whsec_ secret": re.compile(rb"whsec_[A-Za-z0-9+/=]{8,}"),
    "a Bearer value": re.compile(rb"(?i)bearer\s+[A-Za-z0-9._~+/-]{8,}"),
}


@dataclass
class SecretScan:
    """Log lines holding a secret or a token, by file and kind (never the value)."""

    files: int = 0
    lines: int = 0
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.hits.values())


def scan_secrets(
    paths: Iterable[Path], secrets: dict[str, str], extra_lines: Iterable[str] = ()
) -> SecretScan:
    """Scan every line of `paths` (and `extra_lines`, e.g. the soak's own output) for each
    value of `secrets` (name -> value; its base64 form too) and for token shapes."""
    needles: dict[bytes, str] = {}
    for name, value in secrets.items():
        raw = value.encode()
        needles[raw] = name
        needles[base64.b64encode(raw).rstrip(b"=")] = f"{name} (base64)"
    scan = SecretScan()

    def check(where: str, line: bytes) -> None:
        scan.lines += 1
        for needle, name in needles.items():
            if needle in line:
                scan.hits[(where, name)] += 1
        for name, shape in _SHAPES.items():
            if shape.search(line):
                scan.hits[(where, name)] += 1

    for path in paths:
        scan.files += 1
        with path.open("rb") as log:
            for line in log:
                check(path.name, line)
    for text in extra_lines:
        check("soak output", text.encode())
    return scan


def wait_until(condition: Callable[[], bool], timeout_s: float, every_s: float = 0.5) -> bool:
    """Poll `condition` until true; False if `timeout_s` passed first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(every_s)
    return True
