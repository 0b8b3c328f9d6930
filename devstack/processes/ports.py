"""Ports on loopback: a free one that nobody else gets in the meantime, whether one answers,
and the sockets on a local port (Linux /proc; the soak counts open connections with it)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

__all__ = ["ESTABLISHED", "LOOPBACK", "free_port", "local_sockets", "port_is_open"]

LOOPBACK = "127.0.0.1"

_HANDED_OUT: set[int] = set()


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on `host` that is free right now.

    Chosen below the kernel's ephemeral range, so that no outgoing connection (which takes its
    local port from that range) can hold it by the time a server binds it.
    """
    low, _ = _ephemeral_range()
    candidates = [p for p in range(max(1024, low - 12000), low) if p not in _HANDED_OUT]
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            _HANDED_OUT.add(port)  # not bound yet by its server: never hand it out twice
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # the range is crowded
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


ESTABLISHED = "01"  # a socket state in /proc/net/tcp


def local_sockets(port: int, state: str) -> list[list[str]]:
    """The /proc/net/tcp{,6} rows (fields) of the sockets on local `port` in `state` (Linux;
    none elsewhere)."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if (
                len(fields) > 9
                and fields[3] == state
                and int(fields[1].rsplit(":", 1)[1], 16) == port
            ):
                rows.append(fields)
    return rows


def port_is_open(host: str, port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
